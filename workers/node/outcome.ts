/** How a run ended: moved to the protocol client, which the Node worker and the tab share. */
export * from "../protocol/outcome";
