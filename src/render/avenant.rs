//! Avenants: the documents of an exercise after the first.
//!
//! Takes the convention, the flow of year N and the flows of every exercise;
//! gives `avenant-<n>.pdf` (the avenant, then the updated annexes of year N)
//! and each updated annex alone. The view model ([`AvenantVue`], contract in
//! docs/vue-modele.md § Avenant) extends the year-N [`Vue`] with the avenant's
//! data, the bilan of N-1, the comparison N-1 → N of every line of each annex
//! and the gap between the units allotted for N-1 and those proposed and
//! attributed. Every difference, the measure of the engagement and whether it
//! is met come from [`crate::compute::avenant`]; this module only chooses the
//! lines each annex prints and copies the figures, and templates only place
//! and format them.
//!
//! The law: seed 000 art. 8 (annual evaluation: « examiner les éventuels
//! écarts entre les engagements pris et la réalité de la mobilisation du
//! parc ») and art. 9 (yearly avenant updating the assiette and the flow);
//! seed 004 art. 14 (bilan and avenant) and art. 9 (what counts as an
//! attribution); CCH art. R. 441-5-1 (bilan before 28 February).

use rust_decimal::Decimal;
use serde::Serialize;

use crate::compute::avenant::{
    self as calcul, Chiffre, ComparaisonAnnexe, Ecart, Engagement, Sens,
};
use crate::compute::{Flux, FluxAnnexe};
use crate::model::bilan::{self, Bilan, BilanReservataire};
use crate::model::{Convention, Date, DateEffet, Deduction, Exclusion, Modele, Nature};
use crate::render::vue::toujours;
use crate::render::vue::{self, Vue};
use crate::render::{DocumentSource, PartieDe, RenderError, Rendu};

/// The template context of an avenant: the year-N context plus the avenant.
#[derive(Clone, Debug, Serialize)]
pub struct AvenantVue {
    #[serde(flatten)]
    pub base: Vue,
    pub avenant: AvenantInfoVue,
    pub bilan: Option<BilanVue>,
    /// One per annex of N (and per annex of N-1 gone in N), in N's order.
    pub comparaisons: Vec<ComparaisonVue>,
    /// Committed for N-1 against done, one per réservataire of the bilan.
    pub ecarts: Vec<EcartVue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AvenantInfoVue {
    pub numero: u32,
    pub annee: i32,
    /// The exercise compared with (normally `annee - 1`).
    pub annee_precedente: i32,
    pub a_la_signature: bool,
    /// ISO date; `null` when « à la signature ».
    pub date_effet: Option<String>,
    /// The convention's start (ISO), or `null` when it runs from its signature.
    pub debut_convention: Option<String>,
    /// The convention's own signature date (ISO), `null` when unknown.
    pub signature_convention: Option<String>,
    /// The last day the convention can run, renewals included (ISO), from
    /// `compute`; `null` when it runs from an unknown signature date.
    pub fin_convention: Option<String>,
    /// The effective date precedes the signature (from `compute`).
    pub retroactif: bool,
    pub illustratif: bool,
    /// Articles of the convention's model cited by the avenant.
    pub articles: ArticlesVue,
    /// What measures the engagement in the bilan: "baux_et_refus"
    /// (intercommunal art. 3) or "proposes" (bilatéral art. 9: units made
    /// available).
    pub mesure: &'static str,
    /// Names of the annexes the avenant replaces (they existed the year before).
    pub annexes_remplacees: Vec<String>,
    /// Names of the annexes it adds (none the year before).
    pub annexes_ajoutees: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArticlesVue {
    pub engagements: &'static str,
    pub bilan: &'static str,
    pub actualisation: &'static str,
    pub duree: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct BilanVue {
    pub annee: i32,
    pub recu_le: String,
    /// Received after 28 February.
    pub en_retard: bool,
    pub source: Option<String>,
    pub reservataires: Vec<BilanReservataireVue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BilanReservataireVue {
    pub id: String,
    pub designation: String,
    pub proposes: u32,
    pub attribues: u32,
    pub refus_menages: Option<u32>,
    pub refus_caleol: Option<u32>,
    pub baux_signes: Option<u32>,
    /// Months, decimal string.
    pub anciennete_mois: Option<String>,
    pub repartitions: Vec<RepartitionVue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RepartitionVue {
    pub critere: bilan::Critere,
    pub titre: &'static str,
    pub lignes: Vec<CategorieVue>,
    pub total_proposes: u64,
    pub total_attribues: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CategorieVue {
    pub categorie: String,
    pub proposes: u32,
    pub attribues: u32,
}

/// A signed difference: `signe` is "+", "−" or "" (zero), `valeur` the
/// absolute value as a decimal string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EcartSigne {
    pub signe: &'static str,
    pub valeur: String,
}

impl From<Ecart> for EcartSigne {
    fn from(e: Ecart) -> Self {
        EcartSigne {
            signe: match e.sens() {
                Sens::Hausse => "+",
                Sens::Baisse => "−",
                Sens::Stable => "",
            },
            valeur: e.absolu().normalize().to_string(),
        }
    }
}

/// How a réservataire is named inside a sentence: « la Ville du Port »,
/// « à la Ville du Port », « de la Ville du Port » (« le Territoire de
/// l’Ouest », « au … », « du … » for an EPCI).
#[derive(Clone, Debug, Serialize)]
pub struct FormesVue {
    pub le: String,
    pub a_le: String,
    pub de_le: String,
}

/// The sentence forms of réservataire `id` (commune: « la » + designation;
/// EPCI: the territory with its article; others: the designation alone).
pub fn formes(c: &Convention, id: &str) -> FormesVue {
    let nom = designation(c, id);
    let (article, reste) = match c.reservataire(id).map(|r| r.nature) {
        Some(Nature::Commune) => ("la", nom),
        Some(Nature::Epci) => (c.territoire.article.as_str(), c.territoire.nom.clone()),
        _ => ("", nom),
    };
    let f = crate::francais::formes(article, &reste);
    FormesVue {
        le: f.le,
        a_le: f.a_le,
        de_le: f.de_le,
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct EcartVue {
    pub id: String,
    pub designation: String,
    pub formes: FormesVue,
    /// Units allotted for N-1 (`null` without an annex that year).
    pub engages: Option<u32>,
    pub proposes: u32,
    pub attribues: u32,
    pub baux_signes: Option<u32>,
    /// Units attributed in CALEOL then refused by every candidate.
    pub refus_tous_candidats: Option<u32>,
    /// What was done, counted as the model says (`mesure`); `null` when the
    /// bilan lacks a figure the measure needs.
    pub realise: Option<u32>,
    /// réalisé − engagés.
    pub ecart_realise: Option<EcartSigne>,
    pub ecart_proposes: Option<EcartSigne>,
    pub ecart_attribues: Option<EcartSigne>,
    /// The engagement is met by the model's measure (`mesure`).
    pub atteint: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ComparaisonVue {
    pub id: String,
    pub designation: String,
    pub formes: FormesVue,
    pub perimetre: String,
    /// No annex the year before / none this year.
    pub nouvelle: bool,
    pub supprimee: bool,
    pub lignes: Vec<LigneComparaison>,
    /// Year-N rate (decimal string) and units allotted, for the sentence.
    pub taux: Option<String>,
    pub affectes: Option<u32>,
}

/// One line of an annex compared: values are decimal strings (ISO for a
/// date), `null` where the annex does not exist that year.
#[derive(Clone, Debug, Serialize)]
pub struct LigneComparaison {
    pub cle: String,
    pub libelle: String,
    /// "logements", "taux" or "date".
    pub unite: &'static str,
    pub avant: Option<String>,
    pub apres: Option<String>,
    pub ecart: Option<EcartSigne>,
    /// 1 for a detail line ("dont …"), 0 otherwise.
    pub niveau: u8,
    /// A result line (parc soumis, flux, mobilisables, affectés).
    pub gras: bool,
}

fn articles(m: Modele) -> ArticlesVue {
    match m {
        // Seed 000: art. 3 (engagements on attributions followed by a lease,
        // or refused by every candidate), 8 (evaluation), 9 (avenant), 12 (duration).
        Modele::Intercommunal => ArticlesVue {
            engagements: "3",
            bilan: "8",
            actualisation: "9",
            duree: "12",
        },
        // Seed 004: art. 9 (units made available count as attributions),
        // 14 (bilan and avenant), 15 (revision).
        Modele::Bilateral => ArticlesVue {
            engagements: "9",
            bilan: "14",
            actualisation: "14",
            duree: "15",
        },
    }
}

/// The annexes compared, N-1 and N (either may be absent), with the
/// differences `compute` made.
struct Cote<'a> {
    avant: Option<&'a FluxAnnexe>,
    apres: Option<&'a FluxAnnexe>,
    calcul: Option<&'a ComparaisonAnnexe>,
}

impl Cote<'_> {
    fn ligne(
        &self,
        chiffre: Chiffre,
        cle: impl Into<String>,
        libelle: impl Into<String>,
        niveau: u8,
        gras: bool,
    ) -> LigneComparaison {
        // Rates keep the data's scale ("4.80"); counts have none.
        LigneComparaison {
            cle: cle.into(),
            libelle: libelle.into(),
            unite: match chiffre.unite() {
                calcul::Unite::Logements => "logements",
                calcul::Unite::Taux => "taux",
            },
            avant: self.avant.map(|f| chiffre.valeur(f).to_string()),
            apres: self.apres.map(|f| chiffre.valeur(f).to_string()),
            ecart: self
                .calcul
                .and_then(|c| c.ecart(chiffre))
                .map(EcartSigne::from),
            niveau,
            gras,
        }
    }
}

fn majuscule(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(p) => {
            let mut m: String = p.to_uppercase().collect();
            m.push_str(c.as_str());
            m
        }
        None => String::new(),
    }
}

/// Every line of one annex, N-1 → N (either side may be absent).
fn comparer(m: Modele, cote: &Cote) -> Vec<LigneComparaison> {
    let (ex_toujours, de_toujours) = toujours(m);
    let mut out = Vec::new();
    out.push(cote.ligne(
        Chiffre::Logements,
        "logements",
        "Patrimoine du bailleur sur le territoire",
        0,
        false,
    ));
    for x in Exclusion::TOUTES {
        let get = |f: Option<&FluxAnnexe>| f.map(|f| Chiffre::Exclusion(x).valeur(f));
        let (a, b) = (get(cote.avant), get(cote.apres));
        let non_nul = |d: Option<Decimal>| d.is_some_and(|d| !d.is_zero());
        if ex_toujours.contains(&x) || non_nul(a) || non_nul(b) {
            out.push(cote.ligne(
                Chiffre::Exclusion(x),
                format!("exclusions.{}", x.cle()),
                format!("dont {}", x.libelle()),
                1,
                false,
            ));
        }
    }
    out.push(cote.ligne(
        Chiffre::TotalExclusions,
        "total_exclusions",
        "Logements exclus de la gestion en flux",
        0,
        false,
    ));
    out.push(cote.ligne(
        Chiffre::ParcSoumis,
        "parc_soumis",
        "Parc soumis à la gestion en flux",
        0,
        true,
    ));
    out.push(cote.ligne(
        Chiffre::TauxRotation,
        "taux_rotation",
        "Taux de rotation",
        0,
        false,
    ));
    out.push(cote.ligne(
        Chiffre::FluxPrevisionnel,
        "flux_previsionnel",
        "Flux prévisionnel",
        0,
        true,
    ));
    for x in Deduction::TOUTES {
        let get = |f: Option<&FluxAnnexe>| f.map(|f| Chiffre::Deduction(x).valeur(f));
        let (a, b) = (get(cote.avant), get(cote.apres));
        let non_nul = |d: Option<Decimal>| d.is_some_and(|d| !d.is_zero());
        if de_toujours.contains(&x) || non_nul(a) || non_nul(b) {
            out.push(cote.ligne(
                Chiffre::Deduction(x),
                format!("deductions.{}", x.cle()),
                format!("dont {}", x.libelle()),
                1,
                false,
            ));
        }
    }
    out.push(cote.ligne(
        Chiffre::TotalDeductions,
        "total_deductions",
        "Logements soustraits du flux",
        0,
        false,
    ));
    out.push(cote.ligne(
        Chiffre::Mobilisables,
        "mobilisables",
        "Logements mobilisables à répartir entre réservataires",
        0,
        true,
    ));
    out.push(cote.ligne(Chiffre::Taux, "taux", "Taux du réservataire", 0, false));
    out.push(cote.ligne(
        Chiffre::AffectesExact,
        "affectes_exact",
        "Part du flux avant arrondi",
        1,
        false,
    ));
    out.push(cote.ligne(
        Chiffre::Affectes,
        "affectes",
        "Logements affectés au réservataire",
        0,
        true,
    ));
    for l in out.iter_mut().filter(|l| l.niveau == 0) {
        l.libelle = majuscule(&l.libelle);
    }
    out
}

fn designation(c: &Convention, id: &str) -> String {
    c.reservataire(id)
        .map_or(id.to_string(), |r| r.designation.clone())
}

fn bilan_vue(c: &Convention, b: &Bilan, calcul: &calcul::BilanAvenant) -> BilanVue {
    BilanVue {
        annee: b.annee,
        recu_le: b.recu_le.v.iso(),
        en_retard: calcul.en_retard,
        source: b.source.clone(),
        reservataires: b
            .reservataires
            .iter()
            .zip(&calcul.engagements)
            .map(|(r, e)| bilan_reservataire(c, r, e))
            .collect(),
    }
}

fn bilan_reservataire(
    c: &Convention,
    r: &BilanReservataire,
    e: &Engagement,
) -> BilanReservataireVue {
    BilanReservataireVue {
        id: r.reservataire.v.clone(),
        designation: designation(c, &r.reservataire.v),
        proposes: r.proposes.v.0,
        attribues: r.attribues.v.0,
        refus_menages: r.refus_menages.as_ref().map(|x| x.v.0),
        refus_caleol: r.refus_caleol.as_ref().map(|x| x.v.0),
        baux_signes: r.baux_signes.as_ref().map(|x| x.v.0),
        anciennete_mois: r
            .anciennete_mois
            .as_ref()
            .map(|x| x.v.normalize().to_string()),
        repartitions: r
            .repartitions
            .iter()
            .zip(&e.repartitions)
            .map(|(p, t)| RepartitionVue {
                critere: p.critere,
                titre: p.critere.libelle(),
                lignes: p
                    .lignes
                    .iter()
                    .map(|l| CategorieVue {
                        categorie: p.critere.categorie(&l.categorie),
                        proposes: l.proposes.0,
                        attribues: l.attribues.0,
                    })
                    .collect(),
                total_proposes: t.proposes,
                total_attribues: t.attribues,
            })
            .collect(),
    }
}

/// The gap between the units allotted for N-1 and what the bilan reports,
/// as `compute` measured it.
pub fn ecart(c: &Convention, r: &BilanReservataire, e: &Engagement) -> EcartVue {
    EcartVue {
        id: r.reservataire.v.clone(),
        designation: designation(c, &r.reservataire.v),
        formes: formes(c, &r.reservataire.v),
        engages: e.engages.map(|n| n.0),
        proposes: e.proposes.0,
        attribues: e.attribues.0,
        baux_signes: r.baux_signes.as_ref().map(|x| x.v.0),
        refus_tous_candidats: r.refus_tous_candidats.as_ref().map(|x| x.v.0),
        realise: e.realise.map(|n| n.0),
        ecart_realise: e.ecart_realise.map(EcartSigne::from),
        ecart_proposes: e.ecart_proposes.map(EcartSigne::from),
        ecart_attribues: e.ecart_attribues.map(EcartSigne::from),
        atteint: e.atteint,
    }
}

/// Builds the avenant's context for year `flux.annee`.
pub fn construire(c: &Convention, flux: &Flux, tous: &[Flux]) -> AvenantVue {
    let annee = flux.annee;
    let ex = c.exercice(annee);
    let av = ex.and_then(|e| e.avenant.as_ref());
    let precedent = bilan::precedent(c, annee);
    let calcul = calcul::calculer(c, flux, tous);
    let annee_precedente = calcul.annee_precedente;
    let flux_avant = tous.iter().find(|f| f.annee == annee_precedente);
    let numero = bilan::numero(c, annee).unwrap_or(1);
    let articles = articles(c.modele);
    let mesure = match calcul.mesure {
        calcul::Mesure::BauxEtRefus => "baux_et_refus",
        calcul::Mesure::Proposes => "proposes",
    };

    let mut base = vue::construire(c, flux, None, &format!("Avenant n° {numero}"));
    // The avenant is signed on its own date and place (the convention's place
    // by default); the updated annexes printed after it carry the same.
    if let Some(a) = av {
        if a.lieu_signature.is_some() {
            base.convention.lieu_signature = a.lieu_signature.clone();
        }
        base.convention.date_signature = a.date_signature.map(|d| d.iso());
    } else {
        base.convention.date_signature = None;
    }
    let effet = match av.and_then(|a| a.date_effet.as_ref()) {
        Some(DateEffet::ALaSignature) => None,
        Some(DateEffet::Date(d)) => Some(*d),
        None => Some(Date {
            annee,
            mois: 1,
            jour: 1,
        }),
    };
    let (a_la_signature, date_effet) = (effet.is_none(), effet.map(|d| d.iso()));
    let recu_le = ex.and_then(|e| e.bilan.as_ref()).map(|b| b.recu_le.v);
    let retroactif = calcul::effet_retroactif(effet, av.and_then(|a| a.date_signature), recu_le);
    if let Some(d) = av.and_then(|a| a.date_signature) {
        base.document.date = vue::DateVue {
            annee: d.annee,
            mois: d.mois,
            jour: d.jour,
        };
    } else {
        // Unsigned yet: the latest date the data gives, the bilan's receipt
        // (the avenant is made after it), else 1 January of the year.
        let d = recu_le.unwrap_or(Date {
            annee,
            mois: 1,
            jour: 1,
        });
        base.document.date = vue::DateVue {
            annee: d.annee,
            mois: d.mois,
            jour: d.jour,
        };
    }
    base.document.titre = format!(
        "Avenant n° {numero} — {} — {} — {annee}",
        c.titre, c.bailleur.nom
    );
    base.document.sujet = format!(
        "Avenant n° {numero} à la convention de gestion en flux des réservations de logements sociaux — {} — actualisation {annee}",
        c.bailleur.nom
    );
    base.document.mots_cles.push("avenant".into());
    if ex.is_some_and(|e| e.illustratif) {
        vue::marquer_illustratif(&mut base.document);
    }
    base.document.pied = format!("Avenant n° {numero} — {} — {}", c.titre, c.bailleur.nom);

    // Comparisons: N's annexes in order, then N-1's annexes gone in N.
    let mut comparaisons = Vec::new();
    let annexes_n: Vec<(&str, &str)> = ex
        .map(|e| {
            e.annexes
                .iter()
                .map(|a| (a.reservataire.v.as_str(), a.perimetre.as_str()))
                .collect()
        })
        .unwrap_or_default();
    for (id, perimetre) in &annexes_n {
        let cote = Cote {
            avant: flux_avant.and_then(|f| f.annexe(id)),
            apres: flux.annexe(id),
            calcul: calcul.comparaison(id, false),
        };
        comparaisons.push(ComparaisonVue {
            id: id.to_string(),
            designation: designation(c, id),
            formes: formes(c, id),
            perimetre: perimetre.to_string(),
            nouvelle: cote.avant.is_none(),
            supprimee: false,
            lignes: comparer(c.modele, &cote),
            taux: cote.apres.map(|f| f.taux.to_string()),
            affectes: cote.apres.map(|f| f.affectes.0),
        });
    }
    // N-1's annexes gone in N, as `compute` listed them.
    for x in calcul.comparaisons.iter().filter(|x| !x.apres) {
        let id = x.reservataire.as_str();
        let perimetre = precedent
            .and_then(|p| p.annexes.iter().find(|a| a.reservataire.v == id))
            .map_or(String::new(), |a| a.perimetre.clone());
        let cote = Cote {
            avant: flux_avant.and_then(|f| f.annexe(id)),
            apres: None,
            calcul: Some(x),
        };
        comparaisons.push(ComparaisonVue {
            id: id.to_string(),
            designation: designation(c, id),
            formes: formes(c, id),
            perimetre,
            nouvelle: false,
            supprimee: true,
            lignes: comparer(c.modele, &cote),
            taux: None,
            affectes: None,
        });
    }
    let bilan = ex.and_then(|e| e.bilan.as_ref());
    let ecarts = match (bilan, &calcul.bilan) {
        (Some(b), Some(cb)) => b
            .reservataires
            .iter()
            .zip(&cb.engagements)
            .map(|(r, e)| ecart(c, r, e))
            .collect(),
        _ => Vec::new(),
    };
    let nom_annexe = |id: &str| match c.modele {
        Modele::Intercommunal => format!(
            "annexe individuelle {} / {}",
            designation(c, id),
            c.bailleur.nom
        ),
        Modele::Bilateral => "annexe 2 (assiette prévisionnelle)".to_string(),
    };
    let existait =
        |id: &str| precedent.is_some_and(|p| p.annexes.iter().any(|a| a.reservataire.v == id));
    let annexes_remplacees = annexes_n
        .iter()
        .filter(|(id, _)| existait(id))
        .map(|(id, _)| nom_annexe(id))
        .collect();
    let annexes_ajoutees = annexes_n
        .iter()
        .filter(|(id, _)| !existait(id))
        .map(|(id, _)| nom_annexe(id))
        .collect();
    AvenantVue {
        avenant: AvenantInfoVue {
            numero,
            annee,
            annee_precedente,
            a_la_signature,
            date_effet,
            debut_convention: base.convention.debut.clone(),
            signature_convention: c.date_signature.map(|d| d.iso()),
            // The convention's real end (intercommunal art. 12, bilatéral art. 6
            // and 15), `None` when it runs from an unknown signature date.
            fin_convention: c.date_fin().map(|d| d.iso()),
            retroactif,
            illustratif: ex.is_some_and(|e| e.illustratif),
            articles,
            mesure,
            annexes_remplacees,
            annexes_ajoutees,
        },
        bilan: match (bilan, &calcul.bilan) {
            (Some(b), Some(cb)) => Some(bilan_vue(c, b, cb)),
            _ => None,
        },
        comparaisons,
        ecarts,
        base,
    }
}

/// The avenant of `flux.annee` and its updated annexes.
pub fn documents(
    r: &Rendu,
    c: &Convention,
    flux: &Flux,
    tous: &[Flux],
) -> Result<Vec<DocumentSource>, RenderError> {
    let ctx = construire(c, flux, tous);
    let n = ctx.avenant.numero;
    let ident = |doc: &str| format!("convflux/{}/{}/{doc}", c.id, flux.annee);
    let mut out = Vec::new();
    let tpl = "avenant/avenant.typ.j2";
    let morceaux = match c.modele {
        Modele::Intercommunal => r.morceaux(tpl, "avenant/annexe.typ.j2", &ctx, |v| &mut v.base)?,
        Modele::Bilateral => None,
    };
    out.push(DocumentSource {
        fichier: format!("avenant-{n}.pdf"),
        description: format!("avenant n° {n} et annexes actualisées"),
        template: tpl,
        source: r.rendre(tpl, &ctx)?,
        ident: ident(&format!("avenant-{n}")),
        modele: r.modele.clone(),
        partie_de: None,
        morceaux,
    });
    // Each updated annex alone, as the first year (same file names: the
    // folder's year says which one).
    match c.modele {
        Modele::Intercommunal => {
            for a in &flux.annexes {
                let nom = designation(c, &a.reservataire);
                let mut v = ctx.clone();
                v.base
                    .annexes
                    .retain(|x| x.reservataire.id == a.reservataire);
                v.base.document.logos.clear();
                v.base.document.titre = format!(
                    "{} — {} — Annexe {nom} — avenant n° {n} ({})",
                    c.titre, c.bailleur.nom, flux.annee
                );
                let tpl = "avenant/annexe.typ.j2";
                out.push(DocumentSource {
                    fichier: format!("annexe-{}.pdf", a.reservataire),
                    description: format!("annexe {nom} (avenant n° {n})"),
                    template: tpl,
                    source: r.rendre(tpl, &v)?,
                    ident: ident(&format!("annexe-{}", a.reservataire)),
                    modele: r.modele.clone(),
                    partie_de: Some(PartieDe {
                        composition: format!("avenant-{n}.pdf"),
                        cle: format!("annexe-{}", a.reservataire),
                        titre: v.base.document.titre.clone(),
                    }),
                    morceaux: None,
                });
            }
        }
        Modele::Bilateral => {
            let mut v = ctx.clone();
            v.base.document.logos.clear();
            v.base.document.titre = format!(
                "{} — {} — Annexe 2 : assiette prévisionnelle — avenant n° {n} ({})",
                c.titre, c.bailleur.nom, flux.annee
            );
            let tpl = "avenant/annexe-2.typ.j2";
            out.push(DocumentSource {
                fichier: "annexe-2-assiette.pdf".into(),
                description: format!("annexe 2 (assiette prévisionnelle, avenant n° {n})"),
                template: tpl,
                source: r.rendre(tpl, &v)?,
                ident: ident("annexe-2-assiette"),
                modele: r.modele.clone(),
                partie_de: Some(PartieDe {
                    composition: format!("avenant-{n}.pdf"),
                    cle: "annexe-2-assiette".into(),
                    titre: v.base.document.titre.clone(),
                }),
                morceaux: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_differences_are_copied_with_their_sign() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            EcartSigne::from(Ecart(d("0.25"))),
            EcartSigne {
                signe: "+",
                valeur: "0.25".into()
            }
        );
        assert_eq!(EcartSigne::from(Ecart(d("-1"))).signe, "−");
        assert_eq!(EcartSigne::from(Ecart(d("-1"))).valeur, "1");
        assert_eq!(EcartSigne::from(Ecart::NUL).valeur, "0");
        assert_eq!(EcartSigne::from(Ecart(d("0.60"))).valeur, "0.6");
    }
}
