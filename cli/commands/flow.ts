/** `baton flow …`: the named units of workflow logic that deployments and runs belong to. */
import { Command } from "commander";
import { apiContext, print, printJson } from "../context";
import { parsePositiveInt } from "../options";
import { out } from "../output/style";
import { relativeTime } from "../output/time";
import { renderTable, terminalWidth } from "../output/table";

export function flowCommand(): Command {
  const cmd = new Command("flow").description("List flows");

  cmd
    .command("ls")
    .description("List flows, newest first")
    .option("--limit <n>", "how many to show", parsePositiveInt, 50)
    .option("--json", "print JSON")
    .action(async (opts: { limit: number; json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const { items, nextCursor } = await client.flows.list.query({ limit: opts.limit });
      if (opts.json) return printJson(items);
      if (items.length === 0) {
        print("No flows yet. A flow appears when a deployment or run of it is created (for example from the UI).");
        return;
      }
      print(
        renderTable(
          items,
          [
            { header: "NAME", value: (f) => f.name },
            { header: "DEPLOYMENTS", value: (f) => f.deploymentCount, align: "right", shrink: false },
            { header: "LAST RUN", value: (f) => relativeTime(f.lastRunAt) || "never", shrink: false },
            { header: "CREATED", value: (f) => relativeTime(f.createdAt), shrink: false },
            { header: "TAGS", value: (f) => f.tags.join(", "), paint: () => out.dim },
            { header: "ID", value: (f) => f.id, paint: () => out.dim, shrink: false },
          ],
          { maxWidth: terminalWidth() },
        ),
      );
      if (nextCursor) print(out.dim(`Showing the first ${items.length}; use --limit to see more.`));
    });

  return cmd;
}
