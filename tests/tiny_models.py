"""Tiny randomly initialised transformers models, saved the way ``save_pretrained`` saves a
real checkpoint, for the SAM, Whisper and CLIP proposers' tests.

Each builder writes a model folder (config, safetensors weights, processor and tokenizer
files) under the given folder and returns it. The weights come from a fixed seed, so a
folder's outputs are the same on every run. Tokenizers are byte-level BPE vocabularies
built here (the 256 byte symbols, no merges, plus each model's special tokens): nothing
is downloaded.

The shapes are cut to a few thousand parameters and small inputs (SAM: 128-pixel inputs
and an 8x8 embedding; CLIP: 32-pixel images; Whisper: a 32-wide one-layer encoder and
decoder over the usual 80 mel bins and 30 s windows), so loading takes a fraction of a
second and a forward pass milliseconds on a CPU.
"""

import json
from collections.abc import Sequence
from pathlib import Path

import soundfile
import torch
from transformers import (
    CLIPConfig,
    CLIPModel,
    CLIPProcessor,
    CLIPTokenizer,
    GenerationConfig,
    Sam2Config,
    Sam2Model,
    SamConfig,
    SamModel,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    WhisperProcessor,
    WhisperTokenizer,
)
from transformers.convert_slow_tokenizer import bytes_to_unicode
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

#: Whole tokens of the tiny Whisper's vocabulary: "astronaut" and "orange" take two each.
WHISPER_PIECES = ("ĠAn", "Ġastro", "naut", "Ġin", "Ġan", "Ġor", "ange", "Ġsuit")

#: What the tiny Whisper says, whatever it hears, from 0.00 s until `WHISPER_UNTIL`.
WHISPER_SAYS = " An astronaut in an orange suit"
WHISPER_UNTIL = 3.0

#: Adam steps that teach the tiny Whisper to say `WHISPER_SAYS`.
_TRAINING_STEPS = 25

#: The side in pixels of the tiny SAM models' input (the real ones take 1024).
SAM_INPUT = 128

#: Whisper's special tokens, in the order of the real vocabulary (after the text tokens).
WHISPER_SPECIALS = (
    "<|endoftext|>",
    "<|startoftranscript|>",
    "<|en|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
)

#: Whisper's timestamp tokens, 0.00 s to 30.00 s by 0.02 s.
WHISPER_TIMESTAMPS = tuple(f"<|{index * 0.02:.2f}|>" for index in range(1501))

_SAM_PROMPT = {
    "hidden_size": 32,
    "image_size": SAM_INPUT,
    "patch_size": 16,
    "mask_input_channels": 4,
}
_SAM_DECODER = {
    "hidden_size": 32,
    "mlp_dim": 64,
    "num_attention_heads": 2,
    "iou_head_hidden_dim": 32,
}
_IMAGENET = {"image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}


def byte_symbols() -> list[str]:
    """The 256 symbols byte-level BPE spells bytes with, in byte order."""
    return list(bytes_to_unicode().values())


def chained_merges(pieces: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The tokens and the BPE merges that spell each of `pieces` (byte-level symbols,
    ``Ġ`` a space) as one token, merged left to right."""
    tokens: list[str] = []
    merges: list[tuple[str, str]] = []
    for piece in pieces:
        for end in range(1, len(piece)):
            merge = (piece[:end], piece[end])
            if merge not in merges:
                merges.append(merge)
                tokens.append(piece[: end + 1])
    return tokens, merges


def sam_model(folder: Path) -> Path:
    """A tiny SAM (ViT image encoder) with its processor, in ``folder/tiny-sam``."""
    target = folder / "tiny-sam"
    config = SamConfig(
        vision_config={
            "hidden_size": 32,
            "output_channels": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": SAM_INPUT,
            "patch_size": 16,
            "window_size": 4,
            "global_attn_indexes": [1],
            "num_pos_feats": 16,
            "mlp_dim": 64,
        },
        prompt_encoder_config=_SAM_PROMPT,
        mask_decoder_config=_SAM_DECODER,
    )
    torch.manual_seed(0)
    SamModel(config).save_pretrained(target)
    SamImageProcessorPil(
        size={"longest_edge": SAM_INPUT},
        pad_size={"height": SAM_INPUT, "width": SAM_INPUT},
        mask_size={"longest_edge": SAM_INPUT // 4},
        mask_pad_size={"height": SAM_INPUT // 4, "width": SAM_INPUT // 4},
    ).save_pretrained(target)
    return target


def sam2_model(folder: Path) -> Path:
    """A tiny SAM 2 (Hiera image encoder) in ``folder/tiny-sam2``. Its image processor
    settings are written as ``preprocessor_config.json`` by hand: transformers' SAM 2
    image processor needs torchvision, which these tests do without."""
    target = folder / "tiny-sam2"
    config = Sam2Config(
        vision_config={
            "backbone_config": {
                "model_type": "sam2_hiera_det_model",
                "hidden_size": 8,
                "image_size": [SAM_INPUT, SAM_INPUT],
                "blocks_per_stage": [1, 1, 2, 1],
                "embed_dim_per_stage": [8, 16, 32, 64],
                "num_attention_heads_per_stage": [1, 1, 1, 1],
                "window_size_per_stage": [4, 4, 4, 4],
                "global_attention_blocks": [3],
                "window_positional_embedding_background_size": [4, 4],
            },
            "backbone_channel_list": [64, 32, 16, 8],
            "backbone_feature_sizes": [[32, 32], [16, 16], [8, 8]],
            "fpn_hidden_size": 32,
        },
        prompt_encoder_config=_SAM_PROMPT,
        mask_decoder_config=_SAM_DECODER,
    )
    torch.manual_seed(0)
    Sam2Model(config).save_pretrained(target)
    settings = {
        "image_processor_type": "Sam2ImageProcessor",
        "processor_class": "Sam2Processor",
        "size": {"height": SAM_INPUT, "width": SAM_INPUT},
        "mask_size": {"height": SAM_INPUT // 4, "width": SAM_INPUT // 4},
        "do_resize": True,
        "resample": 2,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "do_convert_rgb": True,
        **_IMAGENET,
    }
    (target / "preprocessor_config.json").write_text(json.dumps(settings, indent=2))
    return target


def whisper_model(folder: Path, speech: Sequence[Path]) -> Path:
    """A tiny Whisper (English its only language) with its feature extractor and tokenizer,
    in ``folder/tiny-whisper``; its generation config names the alignment heads that word
    timestamps need.

    Random weights would transcribe a few stray bytes or nothing at all, so its decoder is
    trained for a few steps (on the `speech` files, 16 kHz mono) to say `WHISPER_SAYS`
    between the timestamps 0.00 and `WHISPER_UNTIL`, whatever it hears: one segment whose
    words the tests know."""
    target = folder / "tiny-whisper"
    words, merges = chained_merges(WHISPER_PIECES)
    vocabulary = {symbol: index for index, symbol in enumerate(byte_symbols())}
    for token in (*words, *WHISPER_SPECIALS, *WHISPER_TIMESTAMPS):
        vocabulary[token] = len(vocabulary)
    tokenizer = WhisperTokenizer(vocab=dict(vocabulary), merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": list(WHISPER_SPECIALS[1:])})
    tokenizer.add_tokens(list(WHISPER_TIMESTAMPS))
    ids = {token: vocabulary[token] for token in WHISPER_SPECIALS}
    end = ids["<|endoftext|>"]
    start = ids["<|startoftranscript|>"]
    config = WhisperConfig(
        vocab_size=len(vocabulary),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_target_positions=32,
        decoder_start_token_id=start,
        eos_token_id=end,
        bos_token_id=end,
        pad_token_id=end,
    )
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=start,
        eos_token_id=end,
        bos_token_id=end,
        pad_token_id=end,
        max_length=32,
        no_timestamps_token_id=ids["<|notimestamps|>"],
        prev_sot_token_id=ids["<|startofprev|>"],
        is_multilingual=True,
        lang_to_id={"<|en|>": ids["<|en|>"]},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        alignment_heads=[[0, 0], [0, 1]],
        max_initial_timestamp_index=50,
        begin_suppress_tokens=[vocabulary["Ġ"], end],
    )
    extractor = WhisperFeatureExtractor()
    said = tokenizer(WHISPER_SAYS, add_special_tokens=False)["input_ids"]
    until = vocabulary[f"<|{WHISPER_UNTIL:.2f}|>"]
    sequence = [
        start,
        ids["<|en|>"],
        ids["<|transcribe|>"],
        vocabulary["<|0.00|>"],
        *said,
        until,
        end,
    ]
    _train_to_say(model, extractor, speech, sequence)
    model.save_pretrained(target)
    WhisperProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(target)
    return target


def _train_to_say(
    model: WhisperForConditionalGeneration,
    extractor: WhisperFeatureExtractor,
    speech: Sequence[Path],
    sequence: list[int],
) -> None:
    """Adam on the decoder (teacher forcing) until greedy decoding says `sequence`."""
    samples = [soundfile.read(path, dtype="float32")[0] for path in speech]
    features = extractor(samples, sampling_rate=extractor.sampling_rate, return_tensors="pt")
    with torch.no_grad():
        heard = model.model.encoder(features["input_features"]).last_hidden_state
    given = torch.tensor([sequence[:-1]] * len(samples))
    wanted = torch.tensor([sequence[1:]] * len(samples))
    optimiser = torch.optim.Adam(model.model.decoder.parameters(), lr=0.02)
    model.train()
    for _ in range(_TRAINING_STEPS):
        logits = model(encoder_outputs=(heard,), decoder_input_ids=given).logits
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), wanted.flatten())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()


def clip_model(folder: Path) -> Path:
    """A tiny CLIP (32-pixel images, byte-level text) with its processor, in
    ``folder/tiny-clip``."""
    target = folder / "tiny-clip"
    symbols = byte_symbols()
    vocabulary = {symbol: index for index, symbol in enumerate(symbols)}
    for symbol in symbols:
        vocabulary[f"{symbol}</w>"] = len(vocabulary)
    for token in ("<|startoftext|>", "<|endoftext|>"):
        vocabulary[token] = len(vocabulary)
    tokenizer = CLIPTokenizer(vocab=dict(vocabulary), merges=[], model_max_length=32)
    config = CLIPConfig(
        text_config={
            "vocab_size": len(vocabulary),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "max_position_embeddings": 32,
            "bos_token_id": vocabulary["<|startoftext|>"],
            "eos_token_id": vocabulary["<|endoftext|>"],
            "pad_token_id": vocabulary["<|endoftext|>"],
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=16,
    )
    torch.manual_seed(0)
    CLIPModel(config).save_pretrained(target)
    images = CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(target)
    return target
