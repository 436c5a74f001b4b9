/** CPU threads for the kernels (one, for now). */
let threads = 1;
export const cpuThreads = () => threads;
export function setCpuThreads(n: number): void {
  threads = 1;
  void n;
}
