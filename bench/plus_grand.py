#!/usr/bin/env python3
"""Writes the largest intercommunal convention `convflux verifier` accepts.

    python3 bench/plus_grand.py <fichier.yaml> [exercices]

Built on data/territoire-ouest/sidr.yaml: 200 réservataires (the EPCI and 199
communes, the most src/limites.rs allows, names within the parties' budget),
one annex per commune in every exercise, local texts filled up to the total
text budget, and as many exercises as the 4 MiB file limit lets in (default:
the most that fit, within the convention's term). Used to measure the memory
of `generer` on the largest accepted input (docs/robustesse.md).
"""
import re
import sys
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
TAILLE_MAX = 4 * 1024 * 1024
COMMUNES = 199
# Filler paragraphs: with the names and the 22 × 199 perimeters, the most
# that keeps the file within the total text budget.
PARAGRAPHES = 9


def tete(duree, reconductions):
    src = (RACINE / "data/territoire-ouest/sidr.yaml").read_text()
    debut = src[: src.index("bailleur:")]
    debut = debut.replace("duree_ans: 3", f"duree_ans: {duree}")
    debut = debut.replace(
        "reconduction: { duree_ans: 1, nombre_max: 2 }",
        f"reconduction: {{ duree_ans: 1, nombre_max: {reconductions} }}",
    )
    # Fill the local texts up to the total budget (120 000 characters), in
    # paragraphs of 3 900 characters (under the 4 000 of one paragraph).
    para = ("Texte local de la convention, long paragraphe de remplissage. " * 70)[:3900]
    ajout = "".join(f'    - "{para}"\n' for _ in range(PARAGRAPHES))
    debut = debut.replace("  constat:\n", "  constat:\n" + ajout, 1)
    bailleur = src[src.index("bailleur:") : src.index("reservataires:")]
    return debut + bailleur


def reservataires():
    out = ["reservataires:\n",
           "  - id: epci\n    nom: \"EPCI\"\n    nature: epci\n"
           "    signataire: { qualite: \"Président\", nom: ~ }\n"]
    for i in range(COMMUNES):
        out.append(
            f"  - id: c{i}\n    nom: \"Commune {i}\"\n    nature: commune\n"
            f"    signataire: {{ qualite: \"Maire\", nom: ~ }}\n"
        )
    return "".join(out)


def exercice(annee):
    out = [f"  - annee: {annee}\n    annexes:\n"]
    for i in range(COMMUNES):
        out.append(
            f"      - reservataire: c{i}\n"
            f"        perimetre: \"la commune {i}\"\n"
            f"        patrimoine: {{ date: {annee - 2}-12-31, logements: {1000 + i} }}\n"
            f"        exclusions: {{ defense: 0, vente: 10, demolition: 5, habitat_inclusif: 0 }}\n"
            f"        rotation: {{ taux: \"6,82 %\", annee: {annee - 2} }}\n"
            f"        deductions: {{ anru: 3, lhi: 0, mutations: 2 }}\n"
            f"        taux: \"6,89 %\"\n"
        )
    return "".join(out)


def main():
    sortie = Path(sys.argv[1])
    voulu = int(sys.argv[2]) if len(sys.argv) > 2 else None
    # Term: 12 years + 10 renewals (far more than any real convention).
    texte = tete(12, 10) + reservataires() + "\nexercices:\n"
    n = 0
    while voulu is None or n < voulu:
        suivant = exercice(2024 + n)
        if len(texte.encode()) + len(suivant.encode()) > TAILLE_MAX or n >= 22:
            break
        texte += suivant
        n += 1
    sortie.write_text(texte)
    print(f"{sortie} : {len(texte.encode())} octets, {n} exercices, {COMMUNES} annexes chacun")


main()
