#!/usr/bin/env bash
# Banc de mesure de convflux (docs/performance.md), rejouable sur toute machine Linux.
#
#   bench/run.sh [N] [DOSSIER]
#
# N (1000 par défaut) conventions synthétiques des deux modèles sont écrites
# sous DOSSIER (un dossier temporaire par défaut), puis, dans la même
# exécution et sur les mêmes COEURS cœurs (2 par défaut, via taskset) :
#   1. convflux verifier sur les N fichiers ;
#   2. convflux generer --typst --force : débit en documents/s et pages/s,
#      mémoire maximale (somme des VmHWM du processus principal et de ses
#      processus de travail, imprimée par generer), durée totale ; chaque
#      processus de travail compose des centaines de documents sans relancer
#      Typst ;
#   2b. le plancher (bench/plancher.rs) : les mêmes pages mises en page une
#      seule fois, dans un processus, sans YAML, gabarit, PDF ni écriture ;
#      efficacité = plancher / durée de generer ;
#   3. typst compile (CLI 0.15.1), COEURS compilations à la fois, sur les
#      mêmes sources .typ que l'étape 2 a écrites ;
#   4. un second passage de generer sur l'arbre inchangé (empreintes seules) ;
#   5. un YAML modifié : seuls les documents de sa convention sont refaits ;
#   6. convflux verifier sur VERIFIER_N (10 000 par défaut) fichiers ;
#   7. débit apparié : lot par lot (les sous-dossiers de 100 conventions),
#      convflux generer, le plancher, puis typst compile sur les sources de ce lot, en
#      alternance. La machine d'essai (VM partagée) varie de 10 à 20 % d'une
#      minute à l'autre ; les étapes 2 et 3 se suivent et en subissent
#      l'effet, l'alternance le répartit également sur les deux outils.
# Le tableau de résultats (Markdown) est imprimé à la fin et écrit dans
# DOSSIER/resultats.md.
#
# Variables : COEURS (nombre de cœurs, 2 par défaut), VERIFIER_N (0 pour sauter l'étape 6),
# CONVFLUX (chemin du binaire mesuré ; par défaut celui que le script construit),
# REFERENCE (chemin d'un autre binaire convflux, par exemple celui d'un commit
# antérieur : l'étape 7 le mesure aussi, lot par lot, en alternant l'ordre,
# et imprime le rapport apparié des deux versions),
# TYPST (chemin du binaire typst ; sinon `typst` du PATH ; sinon il est
# installé avec `cargo install typst-cli --version 0.15.1 --locked` sous
# target/typst-cli, ce qui prend environ 8 minutes sur 2 cœurs).
set -euo pipefail

N=${1:-1000}
W=${2:-$(mktemp -d -t convflux-bench.XXXXXX)}
COEURS=${COEURS:-2}
VERIFIER_N=${VERIFIER_N:-10000}
RACINE=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$W"
W=$(cd "$W" && pwd)

horloge() { date +%s.%N; }
duree() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# Restreint une commande aux COEURS premiers cœurs quand taskset existe.
sur_coeurs() {
  if command -v taskset >/dev/null 2>&1; then
    taskset -c "0-$((COEURS - 1))" "$@"
  else
    "$@"
  fi
}

# Copies the Typst sources that generer wrote under $1 into $2, with the
# library they import, for the CLI.
preparer_sources() {
  mkdir -p "$2"
  cp -r "$RACINE/templates/lib" "$2/lib"
  (cd "$1" && find . -name '*.typ' -print0 | while IFS= read -r -d '' f; do
    mkdir -p "$2/$(dirname "$f")"
    cp "$f" "$2/$f"
  done)
}
# typst compile on every source under $1, COEURS at a time.
compiler_cli() {
  (cd "$1" && find . -name '*.typ' ! -path './lib/*' -print0 |
    sur_coeurs xargs -0 -P "$COEURS" -n 1 "$TYPST" compile --root "$1" \
      --font-path "$RACINE/fonts" --ignore-system-fonts --ignore-embedded-fonts \
      --pdf-standard a-2b)
}

echo "== construction (release)" >&2
(cd "$RACINE" && cargo build --release --quiet --bin convflux --example synthese --example plancher)
CIBLE=${CARGO_TARGET_DIR:-$RACINE/target}
CONVFLUX=${CONVFLUX:-$CIBLE/release/convflux}
SYNTHESE=$CIBLE/release/examples/synthese
PLANCHER=$CIBLE/release/examples/plancher

if [ -n "${TYPST:-}" ]; then
  :
elif command -v typst >/dev/null 2>&1; then
  TYPST=$(command -v typst)
else
  TYPST=$RACINE/target/typst-cli/bin/typst
  if [ ! -x "$TYPST" ]; then
    echo "== typst absent du PATH : cargo install typst-cli 0.15.1 (environ 8 min)" >&2
    cargo install typst-cli --version 0.15.1 --locked --root "$RACINE/target/typst-cli"
  fi
fi
VERSION_TYPST=$("$TYPST" --version)
case "$VERSION_TYPST" in
  *0.15.1*) ;;
  *) echo "attention : $VERSION_TYPST, le banc compare avec typst 0.15.1" >&2 ;;
esac

echo "== $N conventions synthétiques sous $W/donnees" >&2
rm -rf "$W/donnees" "$W/sortie" "$W/racine"
SYNTH=$("$SYNTHESE" "$N" "$W/donnees" 2>&1)
echo "$SYNTH" >&2
SYNTH=${SYNTH#*: }

echo "== verifier ($N fichiers)" >&2
t0=$(horloge)
sur_coeurs "$CONVFLUX" verifier "$W/donnees" --quiet 2>"$W/verifier.log"
t1=$(horloge)
VERIFIER_S=$(duree "$t0" "$t1")

echo "== convflux generer, $COEURS cœurs" >&2
t0=$(horloge)
sur_coeurs "$CONVFLUX" generer "$W/donnees" --sortie "$W/sortie" --typst --force 2>"$W/generer.log" || {
  tail -20 "$W/generer.log" >&2
  exit 1
}
t1=$(horloge)
GENERER_S=$(duree "$t0" "$t1")
# Thousands are separated by a narrow no-break space (U+202F): removed.
RESUME=$(sed 's/\xe2\x80\xaf//g' "$W/generer.log" | grep -E '^[0-9]+ documents? produits?' | tail -1)
DOCS=$(echo "$RESUME" | sed -E 's/^([0-9]+) documents? produits?.*/\1/')
PAGES=$(echo "$RESUME" | sed -E 's/.*\(([0-9]+) pages?\).*/\1/')
RSS=$(echo "$RESUME" | sed -nE 's/.*mémoire max\. ([0-9]+) Mio.*/\1/p')

echo "== plancher : les mêmes pages mises en page une fois, en processus, sans rien d'autre" >&2
PLANCHER_LIGNE=$(sur_coeurs "$PLANCHER" "$W/sortie" "$COEURS")
PLANCHER_S=${PLANCHER_LIGNE%% s,*}

echo "== typst compile, $COEURS à la fois, sur les mêmes $DOCS sources" >&2
preparer_sources "$W/sortie" "$W/racine"
NTYP=$(find "$W/racine" -name '*.typ' ! -path "$W/racine/lib/*" | wc -l)
t0=$(horloge)
compiler_cli "$W/racine"
t1=$(horloge)
TYPST_S=$(duree "$t0" "$t1")
NPDF_CLI=$(find "$W/racine" -name '*.pdf' | wc -l)

echo "== second passage sur l'arbre inchangé" >&2
t0=$(horloge)
sur_coeurs "$CONVFLUX" generer "$W/donnees" --sortie "$W/sortie" --typst 2>"$W/second.log"
t1=$(horloge)
SECOND_S=$(duree "$t0" "$t1")
SECOND=$(grep -E 'produits?' "$W/second.log" | grep -v '^progression' | tail -1)

echo "== un YAML modifié" >&2
UN=$(find "$W/donnees" -name '*.yaml' | sort | sed -n 1p)
sed -i '1s/^# Convention synthétique/# Convention synthétique (modifiée)/' "$UN"
t0=$(horloge)
sur_coeurs "$CONVFLUX" generer "$W/donnees" --sortie "$W/sortie" --typst 2>"$W/touche.log"
t1=$(horloge)
TOUCHE_S=$(duree "$t0" "$t1")
TOUCHE=$(grep -E 'produits?' "$W/touche.log" | grep -v '^progression' | tail -1)

VERIF10K_S="-"
if [ "$VERIFIER_N" -gt 0 ]; then
  echo "== verifier sur $VERIFIER_N fichiers" >&2
  if [ "$VERIFIER_N" -ne "$N" ]; then
    rm -rf "$W/verifier-$VERIFIER_N"
    "$SYNTHESE" "$VERIFIER_N" "$W/verifier-$VERIFIER_N"
    D="$W/verifier-$VERIFIER_N"
  else
    D="$W/donnees"
  fi
  t0=$(horloge)
  sur_coeurs "$CONVFLUX" verifier "$D" --quiet 2>"$W/verifier-n.log"
  t1=$(horloge)
  VERIF10K_S=$(duree "$t0" "$t1")
fi

echo "== débit apparié : par lot, convflux puis typst compile, en alternance" >&2
somme() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }
APP_C=0
APP_T=0
APP_P=0
APP_R=0
APP_LOTS=0
rm -rf "$W/apparie"
for lot in "$W"/donnees/*/; do
  nom=$(basename "$lot")
  S="$W/apparie/sortie/$nom"
  R="$W/apparie/racine/$nom"
  # The reference build, before or after this one in turn.
  reference() {
    if [ -n "${REFERENCE:-}" ]; then
      t0=$(horloge)
      sur_coeurs "$REFERENCE" generer "$lot" --sortie "$W/apparie/reference/$nom" --typst --force --quiet
      t1=$(horloge)
      APP_R=$(somme "$APP_R" "$(duree "$t0" "$t1")")
    fi
  }
  if [ $((APP_LOTS % 2)) = 1 ]; then reference; fi
  t0=$(horloge)
  sur_coeurs "$CONVFLUX" generer "$lot" --sortie "$S" --typst --force --quiet
  t1=$(horloge)
  APP_C=$(somme "$APP_C" "$(duree "$t0" "$t1")")
  if [ $((APP_LOTS % 2)) = 0 ]; then reference; fi
  L=$(sur_coeurs "$PLANCHER" "$S" "$COEURS")
  APP_P=$(somme "$APP_P" "${L%% s,*}")
  preparer_sources "$S" "$R"
  t0=$(horloge)
  compiler_cli "$R"
  t1=$(horloge)
  APP_T=$(somme "$APP_T" "$(duree "$t0" "$t1")")
  APP_LOTS=$((APP_LOTS + 1))
done
RATIO_APP=$(awk -v a="$APP_T" -v b="$APP_C" 'BEGIN { printf "%.2f", a / b }')
EFFICACITE_APP=$(awk -v a="$APP_P" -v b="$APP_C" 'BEGIN { printf "%.2f", a / b }')
RATIO_REF=$(awk -v a="$APP_R" -v b="$APP_C" 'BEGIN { printf "%.3f", a / b }')
EFFICACITE=$(awk -v a="$PLANCHER_S" -v b="$GENERER_S" 'BEGIN { printf "%.2f", a / b }')

RATIO=$(awk -v a="$TYPST_S" -v b="$GENERER_S" 'BEGIN { printf "%.2f", a / b }')
DOCS_S=$(awk -v d="$DOCS" -v s="$GENERER_S" 'BEGIN { printf "%.1f", d / s }')
PAGES_S=$(awk -v d="$PAGES" -v s="$GENERER_S" 'BEGIN { printf "%.1f", d / s }')
CLI_DOCS_S=$(awk -v d="$NTYP" -v s="$TYPST_S" 'BEGIN { printf "%.1f", d / s }')
CLI_PAGES_S=$(awk -v d="$PAGES" -v s="$TYPST_S" 'BEGIN { printf "%.1f", d / s }')
CPU=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || uname -m)

cat >"$W/resultats.md" <<EOF
Machine : $CPU, $(nproc) cœurs visibles, $COEURS utilisés ; $(free -g 2>/dev/null | awk '/^Mem/ {print $2 " Gio de mémoire"}') ; $(uname -sr) ; $(rustc --version) ; $VERSION_TYPST.
Commande : \`bench/run.sh $N\` (COEURS=$COEURS, VERIFIER_N=$VERIFIER_N), $(date -u +%Y-%m-%dT%H:%MZ).

| Mesure | Valeur |
|---|---|
| Conventions synthétiques | $N : $SYNTH ; $DOCS documents, $PAGES pages |
| convflux generer ($COEURS processus de travail) | $GENERER_S s : $DOCS_S documents/s, $PAGES_S pages/s |
| typst compile, $COEURS à la fois, mêmes sources | $TYPST_S s : $CLI_DOCS_S documents/s, $CLI_PAGES_S pages/s ($NPDF_CLI PDF) |
| Rapport de débit (typst CLI / convflux), étapes 2 et 3 | **$RATIO×** |
| Débit apparié, $APP_LOTS lots en alternance : convflux / typst compile | $APP_C s / $APP_T s : **$RATIO_APP×** |
| Plancher : les mêmes pages mises en page une fois en processus ($COEURS fils), rien d'autre | $PLANCHER_LIGNE |
| Efficacité (plancher / convflux generer), étape 2 | **$EFFICACITE** |
| Efficacité appariée, $APP_LOTS lots : plancher / convflux | $APP_P s / $APP_C s : **$EFFICACITE_APP** |
| Mémoire maximale de generer (somme des VmHWM des processus) | $RSS Mio |
| Second passage, arbre inchangé | $SECOND_S s ($SECOND) |
| Un YAML modifié | $TOUCHE_S s ($TOUCHE) |
| verifier, $N fichiers | $VERIFIER_S s |
EOF
if [ "$VERIFIER_N" -gt 0 ]; then
  echo "| verifier, $VERIFIER_N fichiers | $VERIF10K_S s |" >>"$W/resultats.md"
fi
if [ -n "${REFERENCE:-}" ]; then
  echo "| Référence « $REFERENCE », mêmes lots en alternance : référence / convflux | $APP_R s / $APP_C s : **$RATIO_REF×** |" >>"$W/resultats.md"
fi
cat "$W/resultats.md"
