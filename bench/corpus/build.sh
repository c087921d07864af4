#!/usr/bin/env bash
# Rebuilds bench/corpus/pages.jsonl from Debian documentation packages (see README.md).
# Needs apt (after `apt-get update`), dpkg-deb and pdftotext (poppler-utils); nothing is installed:
# each package is downloaded and unpacked into a scratch folder. The benchmark and tests read
# only the committed pages.jsonl, so none of this is needed at run time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
per_doc=45   # pages kept per document, spread evenly over it

# label | package | path of the PDF inside the package
docs="amc-en|auto-multiple-choice-doc-pdf|usr/share/doc/auto-multiple-choice/auto-multiple-choice.en.pdf
amc-ja|auto-multiple-choice-doc-pdf|usr/share/doc/auto-multiple-choice/auto-multiple-choice.ja.pdf
debian-reference-fr|debian-reference-fr|usr/share/debian-reference/debian-reference.fr.pdf
r-admin|r-doc-pdf|usr/share/doc/r-doc-pdf/manual/R-admin.pdf
r-data|r-doc-pdf|usr/share/doc/r-doc-pdf/manual/R-data.pdf
r-lang|r-doc-pdf|usr/share/doc/r-doc-pdf/manual/R-lang.pdf
reportlab|python-reportlab-doc|usr/share/doc/python-reportlab-doc/reportlab-userguide.pdf
freefem|freefem-doc|usr/share/doc/freefem-doc/freefem.pdf
camlidl|camlidl-doc|usr/share/doc/camlidl/camlidl-1.04.doc.pdf"

cd "$work"
for pkg in $(echo "$docs" | cut -d'|' -f2 | sort -u); do
  apt-get download "$pkg" >/dev/null
  dpkg-deb -x "$pkg"_*.deb root
  echo "$pkg $(dpkg-deb -f "$pkg"_*.deb Version)" >> versions.txt
done

out="$here/pages.jsonl"
: > "$out"
echo "$docs" | while IFS='|' read -r label pkg pdf; do
  pages=$(pdfinfo "root/$pdf" | awk '/^Pages:/ {print $2}')
  mkdir -p "text/$label"
  kept=()
  for ((p = 1; p <= pages; p++)); do
    pdftotext -enc UTF-8 -f "$p" -l "$p" "root/$pdf" "text/$label/$p.txt"
    # Blank, title and figure-only pages carry no text to cluster.
    if [ "$(tr -d '[:space:]' < "text/$label/$p.txt" | wc -m)" -ge 300 ]; then kept+=("$p"); fi
  done
  n=${#kept[@]}
  take=$(( n < per_doc ? n : per_doc ))
  for ((i = 0; i < take; i++)); do
    p=${kept[$(( i * n / take ))]}
    node -e 'const [label, pkg, pdf, page, file] = process.argv.slice(1);
      const text = require("fs").readFileSync(file, "utf8").replace(/\f/g, "").trim();
      console.log(JSON.stringify({ label, package: pkg, file: "/" + pdf, page: Number(page), text }));' \
      "$label" "$pkg" "$pdf" "$p" "text/$label/$p.txt" >> "$out"
  done
  echo "$label: $take of $n text pages ($pages in the PDF)" >&2
done
cat versions.txt >&2
