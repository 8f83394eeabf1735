"""PCA by scikit-learn (the reference row): the top-32 principal components of the flattened training
images (exact SVD), test MSE of inverse_transform(transform(x)), and the linear probe on the 32 codes."""
import torch
from sklearn.decomposition import PCA

import common


def run(args, data):
    train, train_labels, test, test_labels = data
    flat_train, flat_test = train.flatten(1).numpy(), test.flatten(1).numpy()
    pca = PCA(n_components=args.latent_dim, svd_solver="full").fit(flat_train)
    restored = pca.inverse_transform(pca.transform(flat_test))
    figures = {"test_mse": float(((restored - flat_test) ** 2).mean())}
    figures["linear_probe_accuracy"] = common.probe_accuracy(torch.from_numpy(pca.transform(flat_train)), train_labels,
                                                              torch.from_numpy(pca.transform(flat_test)), test_labels)
    return figures
