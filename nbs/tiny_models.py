"""Tiny models of each family, saved where a notebook's tests load them back: the fixtures that `08_zoo` and
`08b_families` share. Test scaffolding, not part of invflow: nbdev-test runs each notebook in this folder, so
`from tiny_models import …` finds it. Every builder seeds torch itself, so a model is the same whichever notebook
(and in whichever order) builds it."""
from pathlib import Path

import torch

TIMM_TINY = dict(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2)     # a two-block timm ViT
HF_TINY = dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2)


def timm_vit(root: Path, num_classes: int = 5):
    "A two-block timm ViT on 32 × 32 images, saved in `root / 'tvit'` as timm saves a hub checkpoint."
    import timm
    from timm.models._hub import save_for_hf
    torch.manual_seed(0)
    m = timm.create_model('vit_tiny_patch16_224', pretrained=False, num_classes=num_classes, **TIMM_TINY).eval()
    save_for_hf(m, str(root / 'tvit'), model_args=dict(TIMM_TINY, num_classes=num_classes), safe_serialization=True)
    return m


def hf_models(root: Path):
    "(a ViT classifier, its image processor) saved in `root / 'hvit'`; a DINOv2 in `root / 'dino'`, a CLIP in 'clip'."
    import transformers as T
    torch.manual_seed(0)
    hvit = T.ViTForImageClassification(T.ViTConfig(**HF_TINY, intermediate_size=64, num_labels=4)).eval()
    hvit.save_pretrained(root / 'hvit')
    proc = T.ViTImageProcessor(size=dict(height=32, width=32), image_mean=[0.4, 0.5, 0.6], image_std=[0.2, 0.25, 0.3])
    proc.save_pretrained(root / 'hvit')
    T.Dinov2Model(T.Dinov2Config(**HF_TINY, mlp_ratio=2)).save_pretrained(root / 'dino')
    text = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    clip = T.CLIPConfig(text_config=text, vision_config=dict(HF_TINY, intermediate_size=64), projection_dim=16)
    T.CLIPModel(clip).save_pretrained(root / 'clip')
    clip_proc = T.CLIPImageProcessor(size=dict(shortest_edge=32), crop_size=dict(height=32, width=32))
    clip_proc.save_pretrained(root / 'clip')
    return hvit, proc


def resnet18(root: Path):
    "A torchvision ResNet-18 with 7 classes, its state dict saved as `root / 'r18.pt'`."
    import torchvision
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=7).eval()
    torch.save(m.state_dict(), root / 'r18.pt')
    return m
