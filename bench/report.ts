/** Writes one benchmark's section of BENCHMARKS.md, between its markers, leaving the rest as it was. */
import fs from "node:fs";
import path from "node:path";

const FILE = path.resolve(process.cwd(), "BENCHMARKS.md");
const HEADER = `# Benchmarks

Each section is written by the command it names; run it again to refresh the figures. Benchmarks
compare Baton side by side with a named peer in the same run, on this project's machine (2 cores).
`;

/** A new section goes at the end, or with `first` before every other section (an existing one stays where it is). */
export function writeSection(name: string, body: string, opts: { first?: boolean } = {}): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  let text = fs.existsSync(FILE) ? fs.readFileSync(FILE, "utf8") : HEADER;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const firstSection = text.indexOf("<!-- bench:");
  if (from >= 0 && to > from) text = text.slice(0, from) + block + text.slice(to + end.length);
  else if (opts.first && firstSection >= 0) text = `${text.slice(0, firstSection)}${block}\n\n${text.slice(firstSection)}`;
  else text = `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(FILE, text);
}
