/**
 * The fixed part of train.py (pytorch.ts writes the experiment-specific head: EXPERIMENT, DATA, INIT,
 * FROZEN_BN, build_model, make_optimizer, make_schedule). Python, kept as a raw string.
 */
export const TRAIN_PY_BODY = String.raw`

# ---------------------------------------------------------------- files

class Fail(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""


def path(p):
    return p if os.path.isabs(p) else os.path.join(HERE, p)


def read_bytes(file):
    try:
        with open(file, 'rb') as f:
            b = f.read()
    except OSError as e:
        raise Fail(f'{file}: cannot read ({e.strerror})')
    return gzip.decompress(b) if b[:2] == b'\x1f\x8b' else b


IDX_TYPES = {0x08: '>u1', 0x09: '>i1', 0x0b: '>i2', 0x0c: '>i4', 0x0d: '>f4', 0x0e: '>f8'}
IDX_NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']


def read_idx(file):
    b = read_bytes(file)
    if len(b) < 4 or b[0] or b[1] or b[2] not in IDX_TYPES:
        raise Fail(f'{file}: not an IDX file')
    rank = b[3]
    dims = struct.unpack(f'>{rank}I', b[4:4 + 4 * rank])
    a = np.frombuffer(b, IDX_TYPES[b[2]], offset=4 + 4 * rank)
    if a.size != math.prod(dims):
        raise Fail(f'{file}: {a.size} values after the header, dims {list(dims)} need {math.prod(dims)}')
    return a.reshape(dims)


def idx_files(folder):
    files = []
    for name in IDX_NAMES:
        dotted = name.replace('-idx', '.idx')
        found = [f for f in (os.path.join(folder, n) for n in (name, name + '.gz', dotted, dotted + '.gz')) if os.path.exists(f)]
        if not found:
            raise Fail(f'{folder}: missing {name}[.gz]')
        files.append(found[0])
    return files


def cifar10(folder):
    nested = os.path.join(folder, 'cifar-10-batches-bin')
    folder = nested if os.path.isdir(nested) else folder
    def split(names):
        raw = np.concatenate([np.frombuffer(read_bytes(os.path.join(folder, n)), np.uint8) for n in names])
        if raw.size % 3073:
            raise Fail(f'{folder}: the CIFAR-10 batches are not whole 3073-byte records')
        raw = raw.reshape(-1, 3073)
        return raw[:, 1:], raw[:, 0]
    return (*split([f'data_batch_{i}.bin' for i in range(1, 6)]), *split(['test_batch.bin']))


def load_data():
    """(train_x, train_y, test_x, test_y): raw values [N, *sample_shape] and int64 labels."""
    if DATA['kind'] == 'cifar10':
        tx, ty, vx, vy = cifar10(path(DATA['dir']))
    else:
        files = idx_files(path(DATA['dir'])) if DATA['kind'] == 'idx-dir' else [path(f) for f in DATA['files']]
        tx, ty = read_idx(files[0]), read_idx(files[1])
        if len(files) == 4:
            vx, vy = read_idx(files[2]), read_idx(files[3])
        else:  # BN Lab holds out the last 10% of the training file
            n = len(tx) - len(tx) // 10
            tx, ty, vx, vy = tx[:n], ty[:n], tx[n:], ty[n:]
    shape = EXPERIMENT['sample_shape']
    return tuple(torch.from_numpy(np.array(a.reshape(-1, *shape) if i % 2 == 0 else a, dtype=None if i % 2 == 0 else np.int64))
                 for i, a in enumerate((tx, ty, vx, vy)))


def inputs(raw):
    """BN Lab's normalization: (x * scale - mean[c]) / std[c], computed in float64 like BN Lab, then float32."""
    norm = EXPERIMENT['normalization']
    x = raw.double() * norm['scale']
    if norm.get('mean') is not None:
        view = (1, -1) + (1,) * (x.dim() - 2)
        x = (x - torch.tensor(norm['mean'], dtype=torch.float64).view(view)) * (1 / torch.tensor(norm['std'], dtype=torch.float64)).view(view)
    return x.float()


SAFETENSORS_DTYPES = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64, 'I32': np.int32}


def read_safetensors(file):
    """A safetensors file as {name: tensor} (the format: 8-byte LE header length, JSON header, raw LE data)."""
    b = read_bytes(file)
    (n,) = struct.unpack('<Q', b[:8])
    header = json.loads(b[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, t in header.items():
        begin, end = t['data_offsets']
        a = np.frombuffer(b[8 + n + begin:8 + n + end], SAFETENSORS_DTYPES[t['dtype']]).reshape(t['shape'])
        out[name] = torch.from_numpy(a.astype(np.float32 if t['dtype'].startswith('F') else np.int64))
    return out


def write_atomic(file, data):
    tmp = f'{file}.{os.getpid()}.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, file)


def safetensors_bytes(state, metadata):
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, t in state.items():
        a = t.detach().cpu().numpy()
        a, dtype = (a.astype('<i8'), 'I64') if a.dtype == np.int64 else (a.astype('<f4'), 'F32')
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    js = json.dumps(header).encode()
    js += b' ' * (-len(js) % 8)
    return struct.pack('<Q', len(js)) + js + b''.join(blobs)


def save_checkpoint(out, model, config, step, epoch):
    """out/model.safetensors + out/model.json: a BN Lab checkpoint (bnlab eval --checkpoint out)."""
    meta = {'format': 'bnlab-checkpoint', 'bnlabVersion': EXPERIMENT['bnlab_version'], 'spec': EXPERIMENT['spec'],
            'sampleShape': EXPERIMENT['sample_shape'], 'numClasses': EXPERIMENT['num_classes'],
            'normalization': EXPERIMENT['normalization'], 'dataset': EXPERIMENT['dataset'], 'training': config,
            'step': step, 'epoch': epoch, 'createdAt': datetime.datetime.now(datetime.timezone.utc).isoformat()}
    if EXPERIMENT.get('class_names'):
        meta['classNames'] = EXPERIMENT['class_names']
    write_atomic(os.path.join(out, 'model.safetensors'), safetensors_bytes(model.state_dict(), {'format': 'pt', 'spec': EXPERIMENT['spec']}))
    write_atomic(os.path.join(out, 'model.json'), (json.dumps(meta, indent=2) + '\n').encode())


# ---------------------------------------------------------------- BN Lab's event stream (metrics.jsonl)

def finite(v):
    """JSON has no NaN: BN Lab reads null as NaN."""
    return v if math.isfinite(v) else None


def numbers(t):
    return [finite(v) for v in t.detach().double().cpu().tolist()] if t is not None else None


def histogram(t, bins=32, max_samples=1 << 16):
    """BN Lab's histogram: the finite values (strided down to at most max_samples), 32 equal bins."""
    a = t.detach().reshape(-1).double().cpu()
    a = a[::max(1, a.numel() // max_samples)]
    a = a[torch.isfinite(a)]
    if a.numel() == 0:
        return {'min': 0, 'max': 0, 'counts': [0] * bins}
    lo, hi = a.min().item(), a.max().item()
    width = (hi - lo) / bins or 1
    counts = torch.bincount(((a - lo) / width).floor().clamp(max=bins - 1).long(), minlength=bins)
    return {'min': lo, 'max': hi, 'counts': counts.tolist()}


class BnProbe:
    """Records each BN layer's input and output during the forwards it is armed for."""

    def __init__(self, model):
        self.armed, self.seen = False, {}
        self.layers = [(i, m) for i, m in enumerate(model) if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        for i, m in self.layers:
            m.register_forward_hook(self.hook(i))

    def hook(self, i):
        def record(module, inp, out):
            if self.armed:
                self.seen[i] = (inp[0].detach(), out.detach())
        return record

    def stats(self):
        out = []
        for i, m in self.layers:
            x, y = self.seen[i]
            dims = [d for d in range(x.dim()) if d != 1]
            out.append({'layer': i, 'channels': m.num_features,
                        'batchMean': numbers(x.double().mean(dims)), 'batchVar': numbers(x.double().var(dims, unbiased=False)),
                        'runningMean': numbers(m.running_mean) or [], 'runningVar': numbers(m.running_var) or [],
                        'gamma': numbers(m.weight), 'beta': numbers(m.bias), 'histBefore': histogram(x), 'histAfter': histogram(y)})
        self.seen = {}
        return out


def grad_norms(model):
    out = []
    for i, m in enumerate(model):
        ps = [p for p in m.parameters() if p.grad is not None]
        if ps:
            out.append({'layer': i, 'kind': EXPERIMENT['layer_kinds'][i], 'norm': finite(math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in ps)))})
    return out


class Events:
    """Rank 0 writes the events to metrics.jsonl, one JSON object a line, flushed; the run folder appears with the first."""

    def __init__(self, file):
        self.file, self.f = file, None

    def emit(self, e):
        if not self.file:
            return
        if not self.f:
            os.makedirs(os.path.dirname(self.file), exist_ok=True)
            self.f = open(self.file, 'w')
        self.f.write(json.dumps(e) + '\n')
        self.f.flush()


# ---------------------------------------------------------------- training

def evaluate(model, x, y, batch=100):
    """Test loss and accuracy in eval mode (BN with its running statistics), BN Lab's batching."""
    model.eval()
    loss, correct, n = 0.0, 0, len(x)
    with torch.no_grad():
        start = 0
        while start < n:
            end = min(n, start + batch)
            if n - end == 1:  # a last batch of one would break batch-statistics BN: it joins this one
                end = n
            logits = model(inputs(x[start:end]).to(DEVICE))
            loss += float(nn.functional.cross_entropy(logits, y[start:end].to(DEVICE), reduction='sum'))
            correct += int((logits.argmax(1).cpu() == y[start:end]).sum())
            start = end
    return loss / n, correct / n


def train_mode(net, model):
    net.train()
    for i in FROZEN_BN:
        model[i].eval()


def run(rank, world, args):
    global DEVICE
    events = Events(os.path.join(args.out, 'metrics.jsonl') if rank == 0 else None)
    say = print if rank == 0 else (lambda *a, **k: None)
    if args.device == 'cuda':
        local = int(os.environ.get('LOCAL_RANK', rank))
        torch.cuda.set_device(local)
        DEVICE = torch.device('cuda', local)
    else:
        DEVICE = torch.device('cpu')
        torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // world))
    backend = 'nccl' if args.device == 'cuda' else 'gloo'
    if world > 1:
        dist.init_process_group(backend, rank=rank, world_size=world)
    tx, ty, vx, vy = load_data()
    seed = EXPERIMENT['seed'] if args.seed is None else args.seed
    torch.manual_seed(seed)
    model = build_model()
    init = INIT if args.init is None else ('' if args.init == 'none' else args.init)
    if init:
        model.load_state_dict(read_safetensors(path(init)), strict=True)
    if args.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(DEVICE)
    net = model
    if world > 1:
        try:
            net = nn.parallel.DistributedDataParallel(model, device_ids=[DEVICE.index] if args.device == 'cuda' else None)
        except ValueError as e:
            if 'SyncBatchNorm' not in str(e):
                raise
            raise Fail(f'--sync-bn: {e} here (PyTorch {torch.__version__}, --device {args.device}); use --device cuda, or leave out --sync-bn (each process then normalizes with its own batch statistics)')
    probe = BnProbe(model)
    lr = EXPERIMENT['lr'] if args.lr is None else args.lr
    opt = make_optimizer(model.parameters(), lr)

    batch = args.batch or EXPERIMENT['batch']
    # Every process draws the same permutation and takes every world-th sample of it (DistributedSampler's split).
    usable = len(tx) - len(tx) % world
    per_process = usable // world
    steps_per_epoch = per_process // batch if EXPERIMENT['drop_last'] else math.ceil(per_process / batch)
    if steps_per_epoch == 0:
        raise Fail(f'--batch {batch} is larger than the {per_process} samples each process gets')
    if args.steps or not (args.epochs or EXPERIMENT['epochs']):
        total = args.steps or EXPERIMENT['steps']
    else:
        total = (args.epochs or EXPERIMENT['epochs']) * steps_per_epoch
    epochs = math.ceil(total / steps_per_epoch)
    per_step = EXPERIMENT['schedule_per'] == 'step'
    sched = make_schedule(opt, total if per_step else epochs)
    stats_every = EXPERIMENT['stats_every'] if args.stats_every is None else args.stats_every
    config = dict(EXPERIMENT['training'], trainer=f'PyTorch {torch.__version__}', device=args.device, processes=world,
                  batchPerProcess=batch, batchSize=batch * world, syncBn=bool(args.sync_bn), lr=lr, seed=seed, statsEvery=stats_every, init=init or None,
                  **({'steps': total} if args.steps else {'epochs': epochs}))
    config.pop('maxMemory', None)
    events.emit({'type': 'start', 'runId': os.path.basename(os.path.abspath(args.out)), 'spec': EXPERIMENT['spec'], 'dataset': EXPERIMENT['dataset'],
                 'backend': f'PyTorch {torch.__version__} {args.device}' + (f' x{world} ({backend}{", SyncBatchNorm" if args.sync_bn else ""})' if world > 1 else ''),
                 'totalSteps': total, 'stepsPerEpoch': steps_per_epoch, 'batchSize': batch * world, 'config': config})
    say(f'training {EXPERIMENT["spec"]} on {EXPERIMENT["dataset"]}: {total} steps of {world} x {batch} samples ({steps_per_epoch} per epoch)')

    gen = torch.Generator().manual_seed(seed)
    step, epoch, checkpoint = 0, 0, None
    train_mode(net, model)
    try:
        while step < total:
            epoch += 1
            order = torch.randperm(len(tx), generator=gen) if EXPERIMENT['shuffle'] else torch.arange(len(tx))
            mine = order[:usable][rank::world]
            for b in range(steps_per_epoch):
                if step == total:
                    break
                t0 = time.perf_counter()
                idx = mine[b * batch:(b + 1) * batch]
                want_stats = rank == 0 and stats_every > 0 and (step + 1) % stats_every == 0
                probe.armed = want_stats
                logits = net(inputs(tx[idx]).to(DEVICE))
                labels = ty[idx].to(DEVICE)
                loss = nn.functional.cross_entropy(logits, labels)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                bn_stats, grads = (probe.stats(), grad_norms(model)) if want_stats else (None, None)
                opt.step()
                step += 1
                # The global batch's mean loss and accuracy.
                sums = torch.tensor([float(loss) * len(idx), float((logits.argmax(1) == labels).sum()), len(idx)], dtype=torch.float64, device=DEVICE)
                if world > 1:
                    dist.all_reduce(sums)
                mean_loss, acc, m = float(sums[0] / sums[2]), float(sums[1] / sums[2]), float(sums[2])
                if not math.isfinite(mean_loss):
                    events.emit({'type': 'done', 'reason': 'diverged', 'step': step, 'message': f'the loss became {mean_loss} in step {step} (epoch {epoch})', **({'checkpoint': checkpoint} if checkpoint else {})})
                    raise Fail(f'diverged: the loss became {mean_loss} in step {step}')
                events.emit({'type': 'step', 'step': step, 'epoch': epoch, 'loss': mean_loss, 'accuracy': acc, 'lr': opt.param_groups[0]['lr'],
                             'samplesPerSec': m / max(time.perf_counter() - t0, 1e-9)})
                if bn_stats is not None:
                    events.emit({'type': 'stats', 'step': step, 'epoch': epoch, 'bn': bn_stats, 'gradNorms': grads})
                if step == 1 or step == total or step % max(1, total // 20) == 0:
                    say(f'step {step}/{total} epoch {epoch} loss {mean_loss:.4f} acc {acc:.3f} lr {opt.param_groups[0]["lr"]:.3g}', flush=True)
                if sched and per_step:
                    sched.step()
            if sched and not per_step:
                sched.step()
            if rank == 0:
                test_loss, test_acc = evaluate(model, vx, vy)
                events.emit({'type': 'eval', 'step': step, 'epoch': epoch, 'split': 'test', 'loss': finite(test_loss), 'accuracy': test_acc})
                say(f'epoch {epoch}: test loss {test_loss:.4f} acc {test_acc:.4f}', flush=True)
                save_checkpoint(args.out, model, config, step, epoch)
                checkpoint = args.out
                events.emit({'type': 'checkpoint', 'step': step, 'dir': checkpoint})
            train_mode(net, model)
            if world > 1:
                dist.barrier()
    except KeyboardInterrupt:
        if rank == 0:
            save_checkpoint(args.out, model, config, step, epoch)
            events.emit({'type': 'done', 'reason': 'cancelled', 'step': step, 'message': 'training was cancelled', 'checkpoint': args.out})
        raise
    events.emit({'type': 'done', 'reason': 'completed', 'step': step, 'checkpoint': checkpoint})
    say(f'done: {step} steps; checkpoint in {checkpoint}')
    if world > 1:
        report_agreement(model, world)
        dist.barrier()  # under env:// init rank 0 may host the store: nobody leaves while another still needs it
        dist.destroy_process_group()
        # gloo's destructors can hang at exit (PyTorch 1.13 here, about 1 run in 5); everything is written: leave now
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def report_agreement(model, world):
    """DDP keeps the parameters equal on every process; BN's running statistics are each process's own."""
    def spread(tensors):
        flat = torch.cat([t.detach().double().reshape(-1) for t in tensors]) if tensors else torch.zeros(1, dtype=torch.float64, device=DEVICE)
        copies = [torch.empty_like(flat) for _ in range(world)]
        dist.all_gather(copies, flat)
        return max(float((c - copies[0]).abs().max()) for c in copies)
    params = spread(list(model.parameters()))
    buffers = spread([b for b in model.buffers() if b.dtype.is_floating_point])
    if dist.get_rank() == 0:
        print(f'{world} processes: parameters differ by at most {params:.3g} across ranks, BN running statistics by {buffers:.3g} (rank 0\'s are saved)')


def spawned(rank, world, args):
    try:
        run(rank, world, args)
    except Fail as e:
        if rank == 0:
            print(f'train.py: {e}', file=sys.stderr)
        sys.exit(2)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--epochs', type=int, help=f'epochs (default {EXPERIMENT["epochs"] or "from --steps"})')
    p.add_argument('--steps', type=int, help='optimizer steps instead of epochs')
    p.add_argument('--batch', type=int, help=f'samples per process and step (default {EXPERIMENT["batch"]})')
    p.add_argument('--lr', type=float, help=f'learning rate (default {EXPERIMENT["lr"]})')
    p.add_argument('--seed', type=int, help=f'seed of the init and the shuffling (default {EXPERIMENT["seed"]})')
    p.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    p.add_argument('--sync-bn', action='store_true', help='nn.SyncBatchNorm: BN statistics over the global batch (needs several processes)')
    p.add_argument('--spawn', type=int, default=0, metavar='N', help='start N processes here with torch.multiprocessing (instead of torchrun)')
    p.add_argument('--threads', type=int, help='CPU threads per process (default: the cores shared out)')
    p.add_argument('--stats-every', type=int, help=f'BN statistics into metrics.jsonl every N steps (default {EXPERIMENT["stats_every"]}, 0: never)')
    p.add_argument('--init', help=f'weights to start from: a safetensors file, or none (default {INIT or "none"})')
    p.add_argument('--out', help='run folder (default runs/<timestamp>)')
    p.add_argument('--overwrite', action='store_true', help='replace the run already in --out')
    args = p.parse_args()
    try:
        for name in ('epochs', 'steps', 'batch', 'spawn', 'threads', 'stats_every', 'seed'):
            v = getattr(args, name)
            least = 0 if name in ('spawn', 'stats_every', 'seed') else 1
            if v is not None and v < least:
                raise Fail(f'--{name.replace("_", "-")} must be at least {least}, got {v}')
        if args.epochs and args.steps:
            raise Fail('give --epochs or --steps, not both')
        if args.device == 'cuda' and not torch.cuda.is_available():
            raise Fail('--device cuda: CUDA is not available to this PyTorch')
        torchrun = 'WORLD_SIZE' in os.environ and 'RANK' in os.environ
        world = args.spawn or (int(os.environ['WORLD_SIZE']) if torchrun else 1)
        if args.spawn and torchrun:
            raise Fail('--spawn starts its own processes: leave it out under torchrun')
        if args.sync_bn and world < 2:
            raise Fail('--sync-bn needs several processes (torchrun --nproc_per_node N, or --spawn N); one process already uses its whole batch')
        args.out = args.out or os.path.join('runs', datetime.datetime.now().strftime('%Y%m%d-%H%M%S'))
        if os.path.exists(os.path.join(args.out, 'metrics.jsonl')) and not args.overwrite:
            raise Fail(f'--out {args.out} already holds a run; pass --overwrite, or choose another folder')
        if args.spawn:
            os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
            if 'MASTER_PORT' not in os.environ:
                with socket.socket() as s:
                    s.bind(('127.0.0.1', 0))
                    os.environ['MASTER_PORT'] = str(s.getsockname()[1])
            try:
                mp.spawn(spawned, args=(world, args), nprocs=world)
            except mp.ProcessExitedException as e:
                sys.exit(e.exit_code if e.exit_code and e.exit_code > 0 else 1)
        else:
            run(int(os.environ.get('RANK', 0)), world, args)
    except Fail as e:
        print(f'train.py: {e}', file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
`;
