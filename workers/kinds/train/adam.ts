/**
 * Adam with decoupled weight decay (AdamW): the usual choice for a small head, robust to the
 * learning rate. Decay applies to weights only, not biases.
 */
import type { Dense } from "./model";

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

export class Adam {
  private step = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];

  constructor(
    private readonly params: Float32Array[],
    private readonly opts: AdamOptions,
    /** Which of `params` are weights (decayed) rather than biases. */
    private readonly decays: boolean[],
  ) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  static forLayers(layers: Dense[], opts: AdamOptions): Adam {
    return new Adam(
      layers.flatMap((l) => [l.weight, l.bias]),
      opts,
      layers.flatMap(() => [true, false]),
    );
  }

  /** One update; `grads` in the same order as the parameters. */
  update(grads: Float64Array[]): void {
    const { learningRate: lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 } = this.opts;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    this.params.forEach((p, k) => {
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      const decay = this.decays[k] ? weightDecay : 0;
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
        v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
        p[i] = p[i]! - lr * ((m[i]! / c1) / (Math.sqrt(v[i]! / c2) + epsilon) + decay * p[i]!);
      }
    });
  }
}
