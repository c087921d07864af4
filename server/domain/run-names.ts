/**
 * Prefect-style run names (adjective-animal), so a run can be told apart at a glance in lists
 * and logs. Collisions are harmless: names are labels, ids identify.
 */
const ADJECTIVES = [
  "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crimson", "curious", "daring",
  "eager", "electric", "fancy", "fearless", "gentle", "gilded", "glossy", "golden", "grumpy", "happy",
  "hidden", "humble", "icy", "jolly", "keen", "lively", "lucky", "merry", "misty", "nimble",
  "noble", "olive", "patient", "polar", "proud", "quick", "quiet", "rapid", "rustic", "scarlet",
  "shiny", "silent", "silver", "sleepy", "smart", "snowy", "solar", "spry", "steady", "stellar",
  "sunny", "swift", "tidy", "true", "vivid", "wandering", "warm", "wild", "wise", "zesty",
];

const ANIMALS = [
  "albatross", "alpaca", "badger", "beaver", "bison", "bobcat", "buffalo", "caribou", "cheetah", "cobra",
  "condor", "corgi", "coyote", "crane", "dingo", "dolphin", "eagle", "falcon", "ferret", "finch",
  "fox", "gazelle", "gecko", "gibbon", "heron", "hornet", "ibis", "jackal", "jaguar", "kestrel",
  "koala", "lemur", "leopard", "lynx", "magpie", "marmot", "mink", "moose", "newt", "ocelot",
  "orca", "osprey", "otter", "owl", "panda", "pelican", "puffin", "quail", "raven", "salmon",
  "seal", "sparrow", "stork", "tapir", "tiger", "toucan", "walrus", "wombat", "wren", "yak",
];

const pick = (words: readonly string[]) => words[Math.floor(Math.random() * words.length)]!;

export function generateRunName(): string {
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}`;
}
