/**
 * The SDK's log shipper: the protocol client's, with this process's API keys kept out of every
 * line (a job printing its environment must not publish the key it was given).
 */
import { redactSecrets, type BatonClient } from "../server/client";
import { LogShipper as ProtocolLogShipper } from "../workers/protocol/log-shipper";

export type { LogLine } from "../workers/protocol/log-shipper";

export class LogShipper extends ProtocolLogShipper {
  constructor(client: BatonClient, opts: ConstructorParameters<typeof ProtocolLogShipper>[1] = {}) {
    super(client, { redact: redactSecrets, ...opts });
  }
}
