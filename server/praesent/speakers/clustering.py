"""Clustering of local speakers' embeddings across windows into the call's speakers, and the
assignment of every local speaker to one of them. Pure functions over arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SPEAKERS = 6


@dataclass(frozen=True, slots=True)
class ClusteringOptions:
    # Average-linkage cosine distance at which two groups are different speakers. Measured
    # (bench/speaker_margins.py): the closest two voices, the women on the phone call's line,
    # merge at 0.235 (0.260 in the three-speaker call); within a voice, groups of two or more
    # embeddings merge by 0.165, a single embedding by 0.206 (the small-cluster rule joins it).
    threshold: float = 0.2
    # Embeddings from less clean speech than this only join a cluster, they never found one.
    train_min_s: float = 2.5
    # A cluster with less clean speech than this (in all), or fewer embeddings, is merged into
    # its nearest neighbour: one window's odd embedding (two voices the segmentation did not
    # tell apart, a laugh) is no speaker of its own.
    min_cluster_s: float = 3.0
    min_cluster_size: int = 2
    max_speakers: int = MAX_SPEAKERS


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
    result: np.ndarray = rows / norms
    return result


def centroids_of(embeddings: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    return _normalise(np.stack([embeddings[labels == c].mean(axis=0) for c in range(count)]))


def cluster(
    embeddings: np.ndarray,
    speech_s: np.ndarray,
    options: ClusteringOptions,
    num_speakers: int | None = None,
) -> np.ndarray:
    """Centroids (speakers, dim) of the call's speakers, found from the embeddings with enough
    clean speech; ``num_speakers`` fixes their number instead of the threshold."""
    train = speech_s >= options.train_min_s
    if train.sum() < 2:
        # Too little to compare: the best-covered embeddings stand for one speaker each.
        train = speech_s >= min(options.train_min_s, float(speech_s.max()))
    vectors, weights = _normalise(embeddings[train]), speech_s[train]
    if vectors.shape[0] == 1:
        return vectors
    # Imported here: scipy's clustering costs every process 0.2 s at start, and only calls on
    # one channel cluster.
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors, method="average", metric="cosine")
    if num_speakers is not None:
        labels = fcluster(tree, t=min(num_speakers, vectors.shape[0]), criterion="maxclust") - 1
    else:
        labels = fcluster(tree, t=options.threshold, criterion="distance") - 1
        if labels.max() + 1 > options.max_speakers:
            labels = fcluster(tree, t=options.max_speakers, criterion="maxclust") - 1
    count = int(labels.max()) + 1
    if num_speakers is None:
        labels, count = _merge_small(vectors, labels, count, weights, options)
    return centroids_of(vectors, labels, count)


def _merge_small(
    vectors: np.ndarray,
    labels: np.ndarray,
    count: int,
    weights: np.ndarray,
    options: ClusteringOptions,
) -> tuple[np.ndarray, int]:
    totals = np.array([weights[labels == c].sum() for c in range(count)])
    sizes = np.bincount(labels, minlength=count)
    large = np.flatnonzero((totals >= options.min_cluster_s) & (sizes >= options.min_cluster_size))
    if large.size == 0 or large.size == count:
        return labels, count
    centroids = centroids_of(vectors, labels, count)
    nearest = large[np.argmax(centroids @ centroids[large].T, axis=1)]
    merged = np.where(np.isin(labels, large), labels, nearest[labels])
    renumbered = np.searchsorted(large, merged)
    return renumbered, int(large.size)


def assign(
    embeddings: np.ndarray, owners: np.ndarray, centroids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each embedded local speaker -> a speaker (and its cosine similarity); two local speakers
    of one window never go to the same speaker (the best one-to-one match per window)."""
    from scipy.optimize import linear_sum_assignment  # as in ``cluster``

    similarity = _normalise(embeddings) @ centroids.T
    labels = np.full(embeddings.shape[0], -1)
    for window in np.unique(owners):
        rows = np.flatnonzero(owners == window)
        picked_rows, picked_cols = linear_sum_assignment(-similarity[rows])
        labels[rows[picked_rows]] = picked_cols
    scores = np.where(labels >= 0, similarity[np.arange(len(labels)), labels], 0.0)
    return labels, scores
