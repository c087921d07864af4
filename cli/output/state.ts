/** Run states as the terminal shows them: the state's name, coloured by its type (as in Prefect's UI). */
import { out, type Paint, type Style } from "./style";

const COLOUR_BY_TYPE: Record<string, keyof Omit<Style, "enabled">> = {
  SCHEDULED: "yellow",
  PENDING: "gray",
  RUNNING: "blue",
  PAUSED: "gray",
  CANCELLING: "gray",
  CANCELLED: "gray",
  COMPLETED: "green",
  FAILED: "red",
  CRASHED: "magenta",
};

export function statePaint(stateType: string, style: Style = out): Paint {
  const colour = COLOUR_BY_TYPE[stateType];
  return colour ? style[colour] : (text) => text;
}

/** "Late", "Running", … coloured by type; the name when it differs from the type (Late, Retrying). */
export function formatState(stateType: string, stateName?: string | null, style: Style = out): string {
  return statePaint(stateType, style)(stateName || titleCase(stateType));
}

function titleCase(word: string): string {
  return word.charAt(0) + word.slice(1).toLowerCase();
}
