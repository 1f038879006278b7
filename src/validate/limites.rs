//! Every bound `validate` puts on a convention file, in one place, each with
//! why. What passes `verifier` must typeset in bounded time and memory, print
//! only plausible dates and compute every figure exactly; these bounds are
//! what makes that true. `load` keeps its own budgets (file size, depth,
//! node count, aliases: `load::TAILLE_MAX`…).

/// First year of any date of a file (`AAAA-MM-JJ`). The flux regime comes from
/// the ELAN law (2018) and décret n° 2020-145; 2000 leaves room for the older
/// deliberations, patrimoine counts and CIL dates a file may quote.
pub const DATE_ANNEE_MIN: i32 = 2000;

/// Last year of any date of a file. With a term of at most 12 years and 10
/// renewals of 5 years, the last year a convention can reach stays a
/// four-digit year (2162), which every date formatter of the documents prints.
pub const DATE_ANNEE_MAX: i32 = 2100;

/// Decimals of a rate written in a file (`6.82`, `13.5538`). Real rates have
/// at most 4 (rotation rates at the precision of the convention, 0 to 4).
/// With counts below 2³² and rates ≤ 100, every product of `compute`
/// (count × rate ÷ 100, count × rate ÷ 100 × rate ÷ 100) then has at most
/// 15 + 12 = 27 significant digits: it is exact in `Decimal` (28 digits), so
/// nothing is rounded before the named rule of `arrondi`.
pub const TAUX_DECIMALES_MAX: u32 = 4;

/// Characters of a short text: a name, a title, a quality, an address, a
/// source, a method, a period. The longest in the sample data is 111; the
/// longest official name of a French commune has 45, of an EPCI about 90.
/// The title goes into the PDF title (`titre` + « — Avenant n° … »), the
/// bailleur's name into the subject and keywords: 200 characters are at most
/// 800 bytes there, far below the 32 767 bytes of a PDF string.
pub const TEXTE_COURT_MAX: usize = 200;

/// Characters of one paragraph, bullet or table cell of `textes`. The longest
/// in the sample data is 540; an article of a convention rarely passes 2 000.
pub const TEXTE_LONG_MAX: usize = 4_000;

/// Characters of every text of a file together (about 50 printed pages). The
/// sample data has under 6 000.
pub const TEXTES_TOTAL_MAX: usize = 120_000;

/// Characters of the names of the parties together (bailleur and
/// réservataires): the PDF `/Author` lists them all. 4 000 characters are at
/// most 16 000 bytes in UTF-16, half the 32 767 bytes of a PDF string.
pub const AUTEURS_MAX: usize = 4_000;

/// Réservataires of a convention. The EPCI with the most communes (Pays
/// Basque) has 158; with the EPCI, the préfet and Action Logement, 200 is
/// enough. Annexes per exercise are bounded by it (one per réservataire).
pub const RESERVATAIRES_MAX: usize = 200;

/// Programmes of the état des lieux (one table row each, about 60 pages).
pub const PROGRAMMES_MAX: usize = 2_000;

/// Financing kinds of one programme (PLAI, PLUS, PLS, PLI…).
pub const FINANCEMENTS_MAX: usize = 12;

/// Years of a rotation history (three in the conventions).
pub const HISTORIQUE_MAX: usize = 10;

/// Elements of one block of `textes` (paragraphs, lists, tables), and items
/// of one list.
pub const ELEMENTS_MAX: usize = 500;

/// Dispositions particulières of a convention (`clauses`): each is an
/// article of up to [`ELEMENTS_MAX`] paragraphs or lists; the seeds have
/// none, and a convention with more than 50 own articles is another model.
pub const DISPOSITIONS_MAX: usize = 50;

/// Columns and rows of a table of `textes` (a table wider than 8 columns does
/// not fit an A4 page).
pub const TABLEAU_COLONNES_MAX: usize = 8;
pub const TABLEAU_LIGNES_MAX: usize = 500;

/// Bytes of one logo file (`logo:`). A logo printed 2 cm high needs a few
/// hundred kilobytes at most, even as a photograph; 2 MiB leaves room for a
/// print-quality PNG while keeping the documents of a batch in bounded
/// memory (every logo of a convention is held while it is typeset). A logo
/// taken from a model folder is also bounded by that folder's own limit
/// (`modeles::dossier::TAILLE_FICHIER_MAX`, 1 MiB).
pub const LOGO_TAILLE_MAX: u64 = 2 * 1024 * 1024;

/// Logos of one convention (territoire, bailleur and réservataires
/// together): they stand in one row above the title of the first page, and
/// with [`LOGO_TAILLE_MAX`] they are at most 24 MiB in memory.
pub const LOGOS_MAX: usize = 12;
