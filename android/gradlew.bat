@rem Starts Gradle through its wrapper on Windows; the same as gradlew (read its comment): runs only the committed
@rem Gradle 9.4.1 wrapper jar, which downloads and checks the Gradle 9.7.1 distribution that
@rem gradle\wrapper\gradle-wrapper.properties pins.
@echo off
setlocal
set "APP_HOME=%~dp0"
set "JAR=%APP_HOME%gradle\wrapper\gradle-wrapper.jar"
set "WRAPPER_SHA256=55243ef57851f12b070ad14f7f5bb8302daceeebc5bce5ece5fa6edb23e1145c"

if not exist "%JAR%" (
    echo gradle\wrapper\gradle-wrapper.jar is missing; restore it from git ^(android\README.md^). 1>&2
    exit /b 1
)

set "ACTUAL="
for /f "skip=1 delims=" %%h in ('certutil -hashfile "%JAR%" SHA256') do if not defined ACTUAL set "ACTUAL=%%h"
set "ACTUAL=%ACTUAL: =%"
if /i not "%ACTUAL%"=="%WRAPPER_SHA256%" (
    echo gradle\wrapper\gradle-wrapper.jar is not the committed Gradle 9.4.1 wrapper ^(sha256 %ACTUAL%^); refusing to run it ^(android\README.md^). 1>&2
    exit /b 1
)

if defined JAVA_HOME (set "JAVACMD=%JAVA_HOME%\bin\java.exe") else (set "JAVACMD=java.exe")
"%JAVACMD%" -Xmx64m -Xms64m %JAVA_OPTS% %GRADLE_OPTS% "-Dorg.gradle.appname=gradlew" -classpath "%JAR%" org.gradle.wrapper.GradleWrapperMain %*
exit /b %ERRORLEVEL%
