/** Writes one benchmark's section of BENCHMARKS.md, between its markers, leaving the rest as it was. */
import fs from "node:fs";
import path from "node:path";

const FILE = path.resolve(process.cwd(), "BENCHMARKS.md");
const HEADER = `# Benchmarks

Each section is written by the command it names; run it again to refresh the figures. Benchmarks
compare Baton side by side with a named peer in the same run, on this project's machine (2 cores).
`;

export function writeSection(name: string, body: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  let text = fs.existsSync(FILE) ? fs.readFileSync(FILE, "utf8") : HEADER;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(FILE, text);
}
