//! Embeds every file under `templates/` and `fonts/` in the binary.
//!
//! Walks both directories (sorted, so the table is the same on every machine) and writes
//! `$OUT_DIR/assets.rs`: a `FILES` table of `(path, include_bytes!(..))` pairs, where `path`
//! is relative to the crate root with forward slashes (`templates/lib/convflux.typ`,
//! `fonts/LibertinusSerif-Regular.otf`). `src/assets.rs` includes it.
//!
//! Hidden files (`.gitkeep`, editor swap files) and backups ending in `~` are skipped, so an
//! open editor does not change the embedded set. A missing directory gives an empty set.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// Directories whose files are embedded, relative to the crate root.
const DIRS: [&str; 2] = ["fonts", "templates"];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));

    println!("cargo:rerun-if-changed=build.rs");
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for dir in DIRS {
        // A directory entry makes cargo rescan it, so added files are picked up too.
        println!("cargo:rerun-if-changed={dir}");
        let base = root.join(dir);
        if base.is_dir() {
            walk(&base, dir, &mut files);
        }
    }
    files.sort();

    let mut code = String::from(
        "/// Every embedded file, sorted by path: `(path relative to the crate root, bytes)`.\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let path = path.to_str().unwrap_or_else(|| {
            panic!(
                "chemin non UTF-8 sous templates/ ou fonts/ : {}",
                path.display()
            )
        });
        writeln!(code, "    ({name:?}, include_bytes!({path:?})),").expect("write to String");
    }
    code.push_str("];\n");

    let target = out_dir.join("assets.rs");
    // Only rewrite when the content changes, to keep the crate's fingerprint stable.
    if fs::read_to_string(&target).ok().as_deref() != Some(code.as_str()) {
        fs::write(&target, code).expect("write OUT_DIR/assets.rs");
    }
}

/// Collects the files under `dir` (recursively) as `(prefix/relative/path, absolute path)`.
fn walk(dir: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) {
    let entries = fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("lecture du dossier {} : {err}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|err| panic!("lecture de {} : {err}", dir.display()));
        let name = entry.file_name();
        let name = name.to_str().unwrap_or_else(|| {
            panic!("nom de fichier non UTF-8 dans {} : {name:?}", dir.display())
        });
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = entry.path();
        let virtual_path = format!("{prefix}/{name}");
        // `metadata` follows symlinks, like `include_bytes!` will.
        let meta = fs::metadata(&path)
            .unwrap_or_else(|err| panic!("lecture de {} : {err}", path.display()));
        if meta.is_dir() {
            walk(&path, &virtual_path, files);
        } else {
            files.push((virtual_path, path));
        }
    }
}
