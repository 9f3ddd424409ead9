// The Clearchat Android app: thin Compose shell over the shared view models in ../kotlin and the UniFFI bindings.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "chat.clearchat.android"
    compileSdk = 35

    defaultConfig {
        applicationId = "chat.clearchat"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
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

    sourceSets["main"].apply {
        // Shared, JVM-tested code: view models, navigation, composables, Flow adapters...
        java.srcDir("../kotlin/src/main/kotlin")
        // ...and the UniFFI Kotlin bindings (scripts/kotlin-test.sh or scripts/build-android.sh generate them).
        java.srcDir("../kotlin/target/generated-sources/uniffi")
        // libclearchat_ffi.so per ABI, from scripts/build-android.sh.
        jniLibs.srcDir("src/main/jniLibs")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlin { jvmToolchain(17) }
    buildFeatures { compose = true }
}

dependencies {
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.service)
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
    implementation("${libs.jna.get()}@aar") // net.java.dev.jna:jna:5.17.0@aar: JNA with its Android native parts
    implementation(libs.kotlinx.coroutines.android)
}
