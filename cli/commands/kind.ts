/**
 * `baton kind ls` and `baton kind inspect NAME`: the built-in task kinds a `kind:<name>`
 * deployment runs, as the server's registry has them (kinds.list / kinds.get): where each may
 * run, what it does, its parameters with their types and defaults, and an example to start from.
 */
import { Command } from "commander";
import { compactJson } from "../../common/compact-json";
import { apiContext, print, printJson } from "../context";
import { out } from "../output/style";
import { renderTable, terminalWidth } from "../output/table";

const RUNTIMES: Record<string, string> = { tab: "browser tab", node: "Node worker", gpu: "GPU worker" };

export function kindCommand(): Command {
  const cmd = new Command("kind").description("The built-in task kinds a kind:<name> deployment runs (pdf, encode, cluster, train, infer)");

  cmd
    .command("ls")
    .description("List the task kinds: name, where they run, what they do")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const kinds = await client.kinds.list.query();
      if (opts.json) return printJson(kinds);
      print(
        renderTable(
          kinds,
          [
            { header: "NAME", value: (k) => k.name, paint: () => out.bold, shrink: false },
            { header: "RUNS ON", value: (k) => k.runsOn.join(", "), shrink: false },
            { header: "DESCRIPTION", value: (k) => k.summary },
          ],
          { maxWidth: terminalWidth() },
        ),
      );
      print();
      print(out.dim("Parameters and an example: baton kind inspect <name>. Deploy one: baton deploy kind:<name> -n NAME -p POOL"));
    });

  cmd
    .command("inspect")
    .description("Show a task kind: what it does, where it runs, its parameters and an example")
    .argument("<name>", "the kind's name (cluster, or kind:cluster)")
    .option("--json", "print JSON (its parameter and result schemas included)")
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const kind = await client.kinds.get.query({ kind: name });
      if (opts.json) return printJson(kind);
      print(`${out.bold(kind.name)}  ${out.dim(kind.entrypoint)}`);
      print(kind.summary);
      print();
      print(wrap(kind.description, Math.min(terminalWidth() ?? 100, 100)));
      print();
      print(`${out.dim("Runs on:")} ${kind.runsOn.map((r) => RUNTIMES[r] ?? r).join(", ")}`);
      print();
      print(out.bold("Parameters"));
      print(
        renderTable(
          kind.parameters,
          [
            { header: "NAME", value: (p) => `${p.name}${p.required ? " *" : ""}`, shrink: false },
            { header: "TYPE", value: (p) => p.type },
            { header: "DEFAULT", value: (p) => (p.default === undefined ? "" : JSON.stringify(p.default)), shrink: false },
            { header: "DESCRIPTION", value: (p) => p.description ?? "" },
          ],
          { maxWidth: terminalWidth() },
        ),
      );
      print(out.dim("* required"));
      print();
      print(out.bold("Example parameters"));
      print(compactJson(kind.example));
      print();
      print(out.dim(`Deploy it: baton deploy ${kind.entrypoint} -n NAME -p POOL --params '<JSON>'   (or --param key=value)`));
    });

  return cmd;
}

/** Wraps prose at word boundaries to `width` columns. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join("\n");
}
