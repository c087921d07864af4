/**
 * What a cell's output is shown with, from the cells around it — the same in the notebook and on
 * a run of it: the texts behind a cluster's points (its terms' texts) for the plot's hover; for
 * an infer, the texts behind its embeddings and, when its model was trained on those same
 * embeddings, the labels it was trained on, for the predictions table and the confusion matrix.
 */
import { inputValue, type Cell } from "@/common/notebook";

export function outputContext(cell: Cell, cells: readonly Cell[], outputOf: (cellId: string) => unknown): { texts?: string[]; truth?: string[] } {
  const read = (id: string | undefined, param: string) => {
    const source = id ? cells.find((c) => c.id === id) : undefined;
    const value = source ? outputOf(source.id) : undefined;
    return source && value !== undefined ? (inputValue(source.kind, param, value) as string[]) : undefined;
  };
  if (cell.kind === "cluster") return { texts: read(cell.inputs["terms.texts"], "terms.texts") };
  if (cell.kind !== "infer") return {};
  const encodeCell = cells.find((c) => c.id === cell.inputs.embeddings);
  const trainCell = cells.find((c) => c.id === cell.inputs.modelResultId);
  return {
    texts: read(encodeCell?.inputs.texts, "texts"),
    truth: trainCell && trainCell.inputs.embeddings === cell.inputs.embeddings ? read(trainCell.inputs.labels, "labels") : undefined,
  };
}

/** A code cell's output as indented JSON, cut short past 20,000 characters. */
export function codeOutputText(output: unknown): string {
  const text = JSON.stringify(output, null, 2) ?? "undefined";
  return text.length > 20_000 ? `${text.slice(0, 20_000)}\n… (${text.length.toLocaleString()} characters in all; the whole output is under Result JSON)` : text;
}
