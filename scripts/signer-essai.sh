#!/usr/bin/env bash
# Signature fields, checked outside `cargo test` with real tools (see docs/signature.md):
#   1. qpdf --check on every PDF of the seed data, and the XMP still says PDF/A-2b;
#   2. two runs of `convflux generer` give identical bytes;
#   3. pyHanko signs the empty field `signature-bailleur` of a convention with a throw-away
#      self-signed certificate (made here with openssl), then a second party signs
#      `signature-territoire-ouest` in turn, and `pyhanko sign validate` judges both valid.
#
# Needs: a Rust toolchain, qpdf (apt-get install -y qpdf), poppler-utils (pdfinfo),
# openssl, and pyHanko with its CLI and OpenType support:
#   pip install pyHanko pyhanko-cli 'pyHanko[opentype]'
# Usage: scripts/signer-essai.sh [DOSSIER]   (DOSSIER keeps the signed PDFs; default: none)
set -euo pipefail
cd "$(dirname "$0")/.."

garder=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for outil in qpdf pdfinfo openssl pyhanko; do
  command -v "$outil" >/dev/null || { echo "outil absent : $outil" >&2; exit 2; }
done

cargo build --quiet
convflux=./target/debug/convflux

echo "== 1. qpdf --check et marqueurs PDF/A-2b (XMP) sur les données d'exemple"
"$convflux" generer data --sortie "$tmp/a" --quiet
n=0
while IFS= read -r -d '' f; do
  qpdf --check "$f" >/dev/null
  meta=$(pdfinfo -meta "$f")
  grep -q '<pdfaid:part>2</pdfaid:part>' <<<"$meta"
  grep -q '<pdfaid:conformance>B</pdfaid:conformance>' <<<"$meta"
  n=$((n + 1))
done < <(find "$tmp/a" -name '*.pdf' -print0 | sort -z)
champs=$(find "$tmp/a" -name '*.pdf' -print0 | sort -z |
  xargs -0 -n1 qpdf --json --json-key=acroform |
  grep -c '"fieldtype": "/Sig"')
echo "$n PDF : qpdf --check sans erreur, XMP pdfaid part 2 / conformance B ; $champs champs /Sig"

echo "== 2. deux exécutions, mêmes octets"
"$convflux" generer data --sortie "$tmp/b" --quiet
diff -r "$tmp/a" "$tmp/b" >/dev/null
echo "identiques : $(find "$tmp/b" -name '*.pdf' | wc -l) PDF"

echo "== 3. signature avec pyHanko"
pdf="$tmp/a/2024/territoire-ouest-sidr/convention.pdf"
pyhanko sign list "$pdf"
mkdir "$tmp/pki"
for qui in bailleur territoire; do
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 \
    -keyout "$tmp/pki/$qui.key" -out "$tmp/pki/$qui.pem" \
    -subj "/C=FR/O=convflux essai/CN=Signataire d'essai ($qui)" \
    -addext "keyUsage=critical,digitalSignature,nonRepudiation" 2>/dev/null
done
# A stamp in the embedded Libertinus font: no unembedded standard font in the signed file.
cat >"$tmp/pyhanko.yml" <<EOF
stamp-styles:
  convflux:
    type: text
    stamp-text: "Signé électroniquement par\n%(signer)s\nle %(ts)s"
    border-width: 1
    text-box-style:
      font: $PWD/fonts/LibertinusSerif-Regular.otf
      font-size: 9
EOF
signer() { # field, identity, input, output
  pyhanko --config "$tmp/pyhanko.yml" sign addsig --field "$1" --existing-only --use-pades \
    --style-name convflux --reason "Essai convflux" \
    pemder --key "$tmp/pki/$2.key" --cert "$tmp/pki/$2.pem" --no-pass "$3" "$4" 2>/dev/null
}
signer signature-bailleur bailleur "$pdf" "$tmp/signe-1.pdf"
echo "-- pyhanko sign validate, après la signature du bailleur"
pyhanko sign validate --trust "$tmp/pki/bailleur.pem" --trust-replace "$tmp/signe-1.pdf"
signer signature-territoire-ouest territoire "$tmp/signe-1.pdf" "$tmp/signe-2.pdf"
echo "-- pyhanko sign validate, après la signature du Territoire de l'Ouest"
pyhanko sign validate --trust "$tmp/pki/bailleur.pem" --trust "$tmp/pki/territoire.pem" \
  --trust-replace "$tmp/signe-2.pdf"
pyhanko sign list "$tmp/signe-2.pdf"
qpdf --check "$tmp/signe-2.pdf" | tail -2 | tr "\n" " "; echo
if [[ -n "$garder" ]]; then
  mkdir -p "$garder"
  cp "$pdf" "$garder/convention-non-signee.pdf"
  cp "$tmp/signe-1.pdf" "$tmp/signe-2.pdf" "$garder/"
  echo "PDF gardés sous $garder"
fi
echo "== tout est bon"
