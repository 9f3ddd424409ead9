// The Clearchat Android app: a thin Compose shell over the shared, JVM-tested code in ../kotlin and the UniFFI
// bindings. One `./gradlew assembleDebug` also builds the Rust library for every ABI (cargo-ndk) and generates the
// Kotlin bindings: task rustAndroid runs scripts/build-android.sh into build/generated, wired in as sources.
import com.android.build.api.variant.ApplicationAndroidComponentsExtension
import javax.inject.Inject

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "chat.clearchat.android"
    compileSdk = 36
    // NDK r28c, AGP 9.5's default: 16 KB-aligned ELF segments without extra flags (the script adds them anyway).
    ndkVersion = "28.2.13676358"

    defaultConfig {
        applicationId = "chat.clearchat"
        minSdk = 26
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += abis() }
    }

    // Release signing from Gradle properties (~/.gradle/gradle.properties or -P...), never from the repo.
    signingConfigs {
        create("release") {
            val store = providers.gradleProperty("clearchat.storeFile").orNull
            if (store != null) {
                storeFile = file(store)
                storePassword = providers.gradleProperty("clearchat.storePassword").get()
                keyAlias = providers.gradleProperty("clearchat.keyAlias").get()
                keyPassword = providers.gradleProperty("clearchat.keyPassword").get()
            }
        }
    }
    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(
                getDefaultProguardFile("proguard-android-optimize.txt"),
                "proguard-rules.pro",
                "../proguard-clearchat.pro",
            )
            if (providers.gradleProperty("clearchat.storeFile").isPresent) {
                signingConfig = signingConfigs.getByName("release")
            }
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    buildFeatures { compose = true }
}

fun abis(): List<String> =
    providers.gradleProperty("clearchat.abis").get().split(',').map { it.trim() }.filter { it.isNotEmpty() }

/**
 * Builds libclearchat_ffi.so for [abis] with cargo-ndk and generates the Kotlin bindings, both by running
 * scripts/build-android.sh (the one recipe, also usable by hand). Needs cargo, cargo-ndk and the Rust Android
 * targets on the PATH (android/README.md); the NDK comes from the SDK (android.ndkVersion).
 */
abstract class RustAndroidTask : DefaultTask() {
    @get:Inject abstract val exec: ExecOperations

    @get:Internal abstract val repoRoot: DirectoryProperty
    @get:Internal abstract val ndkDirectory: DirectoryProperty
    @get:Input abstract val abis: ListProperty<String>
    @get:Input abstract val minSdk: Property<Int>

    /** The Rust sources: the task reruns when they change (cargo itself then rebuilds only what changed). */
    @get:InputFiles @get:PathSensitive(PathSensitivity.RELATIVE) abstract val rustSources: ConfigurableFileCollection

    @get:OutputDirectory abstract val jniLibsDir: DirectoryProperty
    @get:OutputDirectory abstract val bindingsDir: DirectoryProperty

    @TaskAction
    fun build() {
        val root = repoRoot.get().asFile
        exec.exec {
            workingDir = root
            commandLine("bash", root.resolve("scripts/build-android.sh").path)
            environment("ANDROID_NDK_HOME", ndkDirectory.get().asFile.path)
            environment("ANDROID_API", minSdk.get().toString())
            environment("ABIS", abis.get().joinToString(" "))
            environment("JNILIBS", jniLibsDir.get().asFile.path)
            environment("KOTLIN_OUT", bindingsDir.get().asFile.path)
        }
    }
}

val repo = rootProject.layout.projectDirectory.dir("..")
val androidComponents = extensions.getByType(ApplicationAndroidComponentsExtension::class.java)

val rustAndroid = tasks.register<RustAndroidTask>("rustAndroid") {
    repoRoot.set(repo)
    ndkDirectory.set(androidComponents.sdkComponents.ndkDirectory)
    abis.set(abis())
    minSdk.set(26)
    rustSources.from(
        repo.file("Cargo.toml"), repo.file("Cargo.lock"), repo.file("scripts/build-android.sh"),
        repo.dir("core/src"), repo.file("core/Cargo.toml"), repo.dir("uniffi/src"), repo.file("uniffi/Cargo.toml"),
        repo.file("uniffi/uniffi.toml"),
    )
    jniLibsDir.set(layout.buildDirectory.dir("generated/rust/jniLibs"))
    bindingsDir.set(layout.buildDirectory.dir("generated/rust/uniffi"))
}

androidComponents.onVariants { variant ->
    // The shared code (view models, navigation, policies, composables), tested on the JVM by scripts/kotlin-test.sh.
    variant.sources.kotlin?.addStaticSourceDirectory(repo.dir("android/kotlin/src/main/kotlin").asFile.path)
    // Generated before compiling: the bindings and the native libraries.
    variant.sources.kotlin?.addGeneratedSourceDirectory(rustAndroid, RustAndroidTask::bindingsDir)
    variant.sources.jniLibs?.addGeneratedSourceDirectory(rustAndroid, RustAndroidTask::jniLibsDir)
}

dependencies {
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.viewmodel.navigation3)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.service)
    implementation(libs.androidx.lifecycle.process)
    implementation(libs.androidx.navigation3.runtime)
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.foundation)
    implementation(libs.compose.material3)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.camerax.core)
    implementation(libs.camerax.camera2)
    implementation(libs.camerax.lifecycle)
    implementation(libs.camerax.view)
    implementation(libs.zxing.cpp)
    implementation("${libs.jna.get()}@aar") // JNA with its Android native parts
    implementation(libs.kotlinx.coroutines.android)
}
