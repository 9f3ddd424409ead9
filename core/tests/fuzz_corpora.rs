//! Replays every committed fuzz input (`fuzz/corpus/<target>/*`: seeds, and inputs that once crashed)
//! through the fuzz targets' bodies, on stable, so that a decoder that regresses fails `cargo test`.

use clearchat_core::testing::fuzz;
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

#[test]
fn every_corpus_file_replays_without_a_panic() {
    if std::env::var_os("CLEARCHAT_WRITE_SEEDS").is_some() {
        for (i, (target, bytes)) in fuzz::seeds().into_iter().enumerate() {
            let dir = corpus().join(target);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("seed-{i:02}")), bytes).unwrap();
        }
    }
    for target in fuzz::TARGETS {
        let dir = corpus().join(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{target} has no corpus");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let replay = std::panic::catch_unwind(|| fuzz::run(target, &data));
            assert!(
                matches!(replay, Ok(true)),
                "{} fails its target",
                file.display()
            );
        }
    }
}

/// The seeds are what the decoders accept: a seed that no longer decodes would start the fuzzer nowhere.
#[test]
fn the_seeds_are_valid_inputs() {
    for (target, bytes) in fuzz::seeds() {
        assert!(fuzz::run(target, &bytes), "{target}");
    }
}
