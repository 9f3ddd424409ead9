//! Clearchat FFI layer.
//!
//! This crate only translates types and errors between `clearchat-core` and
//! the foreign languages (Kotlin, Swift) through UniFFI proc-macros. It holds
//! no business logic: every exported item forwards to `clearchat_core`.

uniffi::setup_scaffolding!("clearchat");

/// Version of the Clearchat core library (the workspace version).
#[uniffi::export]
pub fn core_version() -> String {
    clearchat_core::version().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn core_version_matches_core() {
        assert_eq!(super::core_version(), clearchat_core::version());
    }
}
