/**
 * What must change for a run's page to be worth re-rendering: the run's state and version,
 * each task run's, and the newest artifact (metrics arrive as artifacts). Computed the same way on the server (from what the page shows) and in
 * the browser (from the poll), so a poll that finds nothing new costs no re-render.
 */
export function runSignature(
  run: { stateType: string; stateName: string; updatedAt: string },
  taskRuns: { id: string; stateName: string; updatedAt: string }[],
  newestArtifactId: string | null,
): string {
  return [`${run.stateType}/${run.stateName}@${run.updatedAt}`, `artifact ${newestArtifactId}`, ...taskRuns.map((t) => `${t.id}/${t.stateName}@${t.updatedAt}`).sort()].join("|");
}
