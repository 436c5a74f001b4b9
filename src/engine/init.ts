/** PyTorch's default initializations, drawn from our seeded Rng (same seed ⇒ same weights). */
import type { Rng } from './rng';
import type { Tensor } from './tensor';

export function fillUniform(t: Tensor, bound: number, rng: Rng): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-bound, bound);
}

/**
 * nn.Conv2d / nn.Linear reset_parameters: kaiming_uniform_(w, a=√5) gives
 * bound = gain·√(3/fan_in) with gain = √(2/(1+a²)) = √(1/3), i.e. 1/√fan_in;
 * the bias is U(±1/√fan_in) too. fan_in = in/groups · kh · kw (conv) or in (linear).
 */
export function initConvOrLinear(weight: Tensor, bias: Tensor | null, fanIn: number, rng: Rng): void {
  const gain = Math.sqrt(2 / (1 + 5));
  fillUniform(weight, fanIn > 0 ? gain * Math.sqrt(3 / fanIn) : 0, rng);
  if (bias) fillUniform(bias, fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0, rng);
}
