//! Any bytes through the analysis of one file (load → validate → compute →
//! controle) and the printing of its diagnostics: no panic, no hang (libFuzzer's
//! `-timeout`), bounded memory (`-rss_limit_mb`). On a valid file, the
//! computed flow keeps its invariants.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let an = convflux::pipeline::analyser_octets(Path::new("fuzz.yaml"), data.to_vec());
    let _ = an.diagnostics_rendus();
    if !an.valide() {
        assert!(an.diags.a_des_erreurs() || an.convention.is_none());
        return;
    }
    for f in &an.flux {
        for a in &f.annexes {
            // Exclusions are within the stock, deductions within the flow,
            // and a rate of at most 100 % allots at most what can be shared.
            assert!(a.parc_soumis <= a.logements, "{a:?}");
            assert!(a.mobilisables <= a.flux_previsionnel, "{a:?}");
            assert!(a.affectes <= a.mobilisables, "{a:?}");
        }
    }
});
