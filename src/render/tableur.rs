//! The figures of a council report as an `.xlsx` workbook, for the finance
//! and housing services who work in spreadsheets.
//!
//! Takes a [`Rapport`] and gives the bytes of a workbook: sheet « Flux <N> »
//! with one row per annex (every line of the computation, the same figures as
//! `calculer`), a total row, sheet « Bilan <N-1> » when the year carries
//! bilans, and a « Notes » sheet (source, rules, illustrative figures). Exact
//! decimals become spreadsheet numbers by parsing their decimal text (the
//! nearest double), never through arithmetic; the workbook's date is the
//! report's year so the same data gives the same bytes.

use rust_decimal::Decimal;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::compute::FluxAnnexe;
use crate::compute::rapport::{self, Rapport, SourcePrecedent};
use crate::model::{Deduction, Exclusion};

/// A failure to build the workbook (a bug, never a data error).
#[derive(Debug, thiserror::Error)]
#[error("classeur xlsx impossible à produire : {0}")]
pub struct TableurError(#[from] XlsxError);

/// An exact decimal as the nearest spreadsheet number.
fn nombre(d: Decimal) -> f64 {
    d.normalize().to_string().parse().unwrap_or_default()
}

fn entier(n: impl Into<u64>) -> f64 {
    n.into().to_string().parse().unwrap_or_default()
}

/// Reads a number of a row (`None`: no value, the cell stays empty).
type Valeur = Box<dyn Fn(&Ligne) -> Option<f64>>;

/// The columns of the « Flux » sheet: header, then how to read the value
/// (`true`: a count, summed in the total row).
enum Col {
    Texte(fn(&Ligne) -> String),
    Nombre(Valeur, bool),
}

/// One row: a convention's annex, with what the row needs around it.
struct Ligne<'a> {
    fichier: &'a str,
    convention: &'a str,
    bailleur: &'a str,
    reservataire: &'a str,
    perimetre: &'a str,
    date_patrimoine: String,
    flux: &'a FluxAnnexe,
    precedent: Option<&'a FluxAnnexe>,
    /// The figures the bailleur transmitted that the computation corrects
    /// (« flux prévisionnel : 235 → 16 »), the annex's rate prevailing.
    corriges: String,
}

/// The heading of the column of [`corriges`].
const CORRIGES: &str = "Chiffres transmis corrigés";

/// « flux prévisionnel : 235 → 16 ; logements mobilisables : 14 → 16 »:
/// the corrections the council report states (same figures).
fn corriges(l: &rapport::LigneRapport) -> String {
    l.corrections
        .iter()
        .map(|k| match k.chiffre {
            Some(c) => format!("{} : {} → {}", c.libelle(), k.transmis, k.calcule),
            None => format!(
                "taux : {} % → {} %",
                crate::francais::exact(k.transmis),
                crate::francais::exact(k.calcule)
            ),
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

fn exclusion(f: &FluxAnnexe, x: Exclusion) -> f64 {
    entier(f.exclusions.get(&x).map_or(0, |l| l.0))
}

fn deduction(f: &FluxAnnexe, x: Deduction) -> f64 {
    entier(f.deductions.get(&x).map_or(0, |l| l.0))
}

fn colonnes() -> Vec<(String, Col)> {
    let mut c: Vec<(String, Col)> = vec![
        ("Fichier".into(), Col::Texte(|l| l.fichier.to_string())),
        (
            "Convention".into(),
            Col::Texte(|l| l.convention.to_string()),
        ),
        ("Bailleur".into(), Col::Texte(|l| l.bailleur.to_string())),
        (
            "Réservataire".into(),
            Col::Texte(|l| l.reservataire.to_string()),
        ),
        ("Périmètre".into(), Col::Texte(|l| l.perimetre.to_string())),
        (
            "Année".into(),
            Col::Nombre(
                Box::new(|l| Some(entier(l.flux.annee.unsigned_abs()))),
                false,
            ),
        ),
        (
            "Patrimoine au".into(),
            Col::Texte(|l| l.date_patrimoine.clone()),
        ),
        (
            "Patrimoine".into(),
            Col::Nombre(Box::new(|l| Some(entier(l.flux.logements.0))), true),
        ),
    ];
    // One column per exclusion, in the vocabulary's order.
    for x in Exclusion::TOUTES {
        c.push((
            format!("Exclus : {}", x.libelle()),
            Col::Nombre(Box::new(move |l| Some(exclusion(l.flux, x))), true),
        ));
    }
    c.push((
        "Total des exclusions".into(),
        Col::Nombre(Box::new(|l| Some(entier(l.flux.total_exclusions.0))), true),
    ));
    c.push((
        "Parc soumis".into(),
        Col::Nombre(Box::new(|l| Some(entier(l.flux.parc_soumis.0))), true),
    ));
    c.push((
        "Taux de rotation (%)".into(),
        Col::Nombre(Box::new(|l| Some(nombre(l.flux.taux_rotation))), false),
    ));
    c.push((
        "Flux exact".into(),
        Col::Nombre(Box::new(|l| Some(nombre(l.flux.flux_exact))), false),
    ));
    c.push((
        "Flux prévisionnel".into(),
        Col::Nombre(Box::new(|l| Some(entier(l.flux.flux_previsionnel.0))), true),
    ));
    for x in Deduction::TOUTES {
        c.push((
            format!("Déduit : {}", x.libelle()),
            Col::Nombre(Box::new(move |l| Some(deduction(l.flux, x))), true),
        ));
    }
    c.push((
        "Total des déductions".into(),
        Col::Nombre(Box::new(|l| Some(entier(l.flux.total_deductions.0))), true),
    ));
    c.push((
        "Logements mobilisables".into(),
        Col::Nombre(Box::new(|l| Some(entier(l.flux.mobilisables.0))), true),
    ));
    c.push((
        "Taux du réservataire (%)".into(),
        Col::Nombre(Box::new(|l| Some(nombre(l.flux.taux))), false),
    ));
    c.push((
        "Affectés exact".into(),
        Col::Nombre(Box::new(|l| Some(nombre(l.flux.affectes_exact))), false),
    ));
    c.push((
        "Logements affectés".into(),
        Col::Nombre(Box::new(|l| Some(entier(l.flux.affectes.0))), true),
    ));
    c.push((
        "Logements affectés N-1".into(),
        Col::Nombre(
            Box::new(|l| l.precedent.map(|p| entier(p.affectes.0))),
            true,
        ),
    ));
    c.push((CORRIGES.into(), Col::Texte(|l| l.corriges.clone())));
    c
}

/// Σ of a count column over the rows ([`rapport::somme`]); `None` when a
/// row has no value.
fn somme(lignes: &[Ligne], f: &dyn Fn(&Ligne) -> Option<f64>) -> Option<f64> {
    // Counts are whole numbers: read back as integers, summed by compute.
    rapport::somme(
        lignes
            .iter()
            .map(|l| f(l).and_then(|v| v.to_string().parse::<u64>().ok())),
    )
    .map(entier)
}

/// The workbook of a report.
pub fn classeur(r: &Rapport) -> Result<Vec<u8>, TableurError> {
    let mut wb = Workbook::new();
    let date = ExcelDateTime::from_ymd(u16::try_from(r.annee).unwrap_or(2000), 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "Gestion en flux — {} — année {}",
                r.reservataire.nom, r.annee
            ))
            .set_author("convflux")
            .set_creation_datetime(&date),
    );
    let gras = Format::new().set_bold();
    let entete = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("#EBEBEB");
    let entier_fmt = Format::new().set_num_format("#,##0");
    let entier_gras = Format::new().set_num_format("#,##0").set_bold();
    let decimal_fmt = Format::new().set_num_format("0.00##");

    let lignes: Vec<Ligne> = r
        .lignes
        .iter()
        .map(|l| Ligne {
            fichier: &l.fichier,
            convention: &l.convention.id,
            bailleur: &l.convention.bailleur.nom,
            reservataire: &r.reservataire.id.v,
            perimetre: l
                .convention
                .exercice(r.annee)
                .and_then(|e| {
                    e.annexes
                        .iter()
                        .find(|a| a.reservataire.v == r.reservataire.id.v)
                })
                .map_or("", |a| a.perimetre.as_str()),
            date_patrimoine: l
                .convention
                .exercice(r.annee)
                .and_then(|e| {
                    e.annexes
                        .iter()
                        .find(|a| a.reservataire.v == r.reservataire.id.v)
                })
                .map_or(String::new(), |a| a.patrimoine.date.v.iso()),
            flux: l.flux,
            precedent: l.precedent,
            corriges: corriges(l),
        })
        .collect();

    let cols = colonnes();
    let ws = wb.add_worksheet();
    ws.set_name(format!("Flux {}", r.annee))?;
    for (j, (titre, _)) in cols.iter().enumerate() {
        let j = u16::try_from(j).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, j, titre, &entete)?;
        let largeur = if j < 5 { 22 } else { 12 };
        ws.set_column_width(j, if titre == CORRIGES { 48 } else { largeur })?;
    }
    ws.set_row_height(0, 60)?;
    ws.set_freeze_panes(1, 3)?;
    for (i, l) in lignes.iter().enumerate() {
        let i = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (j, (_, c)) in cols.iter().enumerate() {
            let j = u16::try_from(j).unwrap_or(u16::MAX);
            match c {
                Col::Texte(f) => {
                    ws.write_string(i, j, f(l))?;
                }
                Col::Nombre(f, compte) => {
                    if let Some(v) = f(l) {
                        let fmt = if *compte { &entier_fmt } else { &decimal_fmt };
                        ws.write_number_with_format(i, j, v, fmt)?;
                    }
                }
            }
        }
    }
    // Totals of the count columns (the quota of the year is the affectés total).
    let t = u32::try_from(lignes.len() + 1).unwrap_or(u32::MAX);
    ws.write_string_with_format(t, 0, "Total", &gras)?;
    for (j, (_, c)) in cols.iter().enumerate() {
        let j = u16::try_from(j).unwrap_or(u16::MAX);
        if let Col::Nombre(f, true) = c
            && let Some(v) = somme(&lignes, f.as_ref())
        {
            ws.write_number_with_format(t, j, v, &entier_gras)?;
        }
    }

    // The bilans of the year before, received this year.
    let bilans: Vec<_> = r
        .lignes
        .iter()
        .filter_map(|l| l.bilan.map(|b| (l, b)))
        .collect();
    if !bilans.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(format!("Bilan {}", r.annee_precedente))?;
        let titres = [
            "Convention",
            "Bailleur",
            "Bilan reçu le",
            "Logements affectés (engagement)",
            "Logements proposés",
            "Logements attribués",
            "Refus des ménages",
            "Refus de la CALEOL",
            "Baux signés",
            "Ancienneté moyenne de la demande (mois)",
        ];
        for (j, titre) in titres.iter().enumerate() {
            let j = u16::try_from(j).unwrap_or(u16::MAX);
            ws.write_string_with_format(0, j, *titre, &entete)?;
            ws.set_column_width(j, if j < 2 { 24 } else { 13 })?;
        }
        ws.set_row_height(0, 45)?;
        for (i, (l, (b, br))) in bilans.iter().enumerate() {
            let i = u32::try_from(i + 1).unwrap_or(u32::MAX);
            ws.write_string(i, 0, &l.convention.id)?;
            ws.write_string(i, 1, &l.convention.bailleur.nom)?;
            ws.write_string(i, 2, b.recu_le.v.iso())?;
            let opt = |ws: &mut Worksheet, j: u16, v: Option<f64>| -> Result<(), XlsxError> {
                if let Some(v) = v {
                    ws.write_number_with_format(i, j, v, &entier_fmt)?;
                }
                Ok(())
            };
            opt(ws, 3, l.precedent.map(|p| entier(p.affectes.0)))?;
            opt(ws, 4, Some(entier(br.proposes.v.0)))?;
            opt(ws, 5, Some(entier(br.attribues.v.0)))?;
            opt(ws, 6, br.refus_menages.as_ref().map(|x| entier(x.v.0)))?;
            opt(ws, 7, br.refus_caleol.as_ref().map(|x| entier(x.v.0)))?;
            opt(ws, 8, br.baux_signes.as_ref().map(|x| entier(x.v.0)))?;
            if let Some(a) = &br.anciennete_mois {
                ws.write_number_with_format(i, 9, nombre(a.v), &decimal_fmt)?;
            }
        }
    }

    let ws = wb.add_worksheet();
    ws.set_name("Notes")?;
    ws.set_column_width(0, 110)?;
    let mut notes = vec![
        format!(
            "Gestion en flux des réservations de logements sociaux — {} — année {}.",
            r.reservataire.nom, r.annee
        ),
        "Chiffres calculés par convflux à partir des fichiers de conventions (mêmes valeurs que `convflux calculer`).".to_string(),
        "Parc soumis = patrimoine − exclusions ; flux prévisionnel = parc soumis × taux de rotation, arrondi ; mobilisables = flux − déductions ; affectés = mobilisables × taux du réservataire, arrondi (CCH art. R. 441-5 et R. 441-5-1).".to_string(),
        "Les colonnes « exact » donnent la valeur avant arrondi.".to_string(),
        "« Chiffres transmis corrigés » : chiffres transmis par le bailleur que le calcul corrige (chiffre transmis → chiffre de l'annexe, qui fait foi), comme le dit le rapport au conseil.".to_string(),
        format!(
            "Quota {} : {} logements affectés.",
            r.annee, r.total
        ),
    ];
    match r.precedent {
        Some(p) => notes.push(format!(
            "Quota {} : {} logements ({}).",
            p.annee,
            p.logements,
            match p.source {
                SourcePrecedent::Calcule => "calculé à partir des exercices",
                SourcePrecedent::Declare => "déclaré dans les données, gestion en stock",
            }
        )),
        None => notes.push(format!("Quota {} : non renseigné.", r.annee_precedente)),
    }
    if r.illustratif() {
        notes.push(
            "ATTENTION : certaines conventions portent des chiffres illustratifs, non réels (`illustratif: true` dans les données)."
                .to_string(),
        );
    }
    for (i, n) in notes.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        ws.write_string(i, 0, n)?;
    }
    Ok(wb.save_to_buffer()?)
}
