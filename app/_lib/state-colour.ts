/** A state's chart colour: the CSS variable dashboard.css defines (the state badges' hue, legible light and dark). */
import type { StateType } from "@/app/_lib/trpc-types";

export const stateColour = (type: StateType) => `var(--state-${type.toLowerCase()})`;
