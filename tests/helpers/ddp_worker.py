"""Run by tests/test_images_trainer.py under ``torchrun --nproc_per_node=2``: trains tiny image runs with
DistributedDataParallel (gloo, CPU) and saves each rank's parameters for the test to compare."""

import json
import pathlib
import sys

import torch

from wgan_toys.images.trainer import ImageConfig, ImageTrainer


def main(folder: str, configs_json: str) -> None:
    folder = pathlib.Path(folder)
    for name, values in json.loads(configs_json).items():
        trainer = ImageTrainer(ImageConfig(**values), folder / name, verbose=False)
        trainer.train()
        parameters = {f"generator.{k}": v for k, v in trainer.generator.state_dict().items()}
        parameters.update({f"critic.{k}": v for k, v in trainer.critic.state_dict().items()})
        torch.save(parameters, folder / f"{name}.rank{trainer.rank}.pt")
    trainer.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
