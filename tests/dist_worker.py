"""Run by tests/test_distributed.py, once alone and once under `torchrun --nproc_per_node 2`: the Python API inside a
process group. Rank 0 writes what it computed to OUT (a .pt file of tensors); with FAIL_RANK set, that rank's model
raises inside its share of the work."""
import json, os, sys
import torch
from invflow.distributed import init_distributed, rank_world, is_main
from invflow.models import make_vit
from invflow.capture import vit_layers, capture
from invflow.similarity import cka_matrix, LinearCKA
from invflow.invert import InvertConfig
from invflow.stir import invert_reference

out, fail_rank = sys.argv[1], int(os.environ.get('FAIL_RANK', '-1'))
init_distributed()
rank, world = rank_world()
pt, ft = make_vit('vit_t32', seed=0).eval(), make_vit('vit_t32', seed=1).eval()
x = torch.rand(20, 3, 32, 32, generator=torch.Generator().manual_seed(0))
L = vit_layers(pt)
if rank == fail_rank:
    def boom(*_): raise RuntimeError(f"simulated failure in a forward pass of rank {rank}")
    pt.blocks[2].register_forward_hook(boom)
res = {}
res['capture'] = capture(pt, x, L[:3], batch_size=6, progress=False)['blocks.2']
mb = cka_matrix(pt, ft, x, L, estimator='linear-debiased', mode='minibatch', batch_size=5, progress=False)
full = cka_matrix(pt, ft, x, L, batch_size=6, progress=False)
res['cka_minibatch'] = torch.tensor(mb.cka.values, dtype=torch.float64)
res['cka_full'] = torch.tensor(full.cka.values, dtype=torch.float64)
acc = LinearCKA()
lo, hi = rank * len(x) // world, (rank + 1) * len(x) // world   # this rank's share of the rows
f = capture(ft, x, ['blocks.3'], progress=False)['blocks.3']
acc.update(res['capture'][lo:hi], f[lo:hi])
res['linear_cka_streamed'] = torch.tensor(acc.sync().compute(), dtype=torch.float64)
invs = invert_reference(pt, x, L, config=InvertConfig(steps=15, batch_size=8), progress=False)
for l in L: res[f'inv {l}'], res[f'rho {l}'] = invs[(l, 0)].x, invs[(l, 0)].rho
if is_main(): torch.save(res, out)
