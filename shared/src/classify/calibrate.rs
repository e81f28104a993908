//! From class scores to a probability-like confidence.

/// Temperature of the softmax over fused class scores (RRF scores are small numbers).
const TEMPERATURE: f32 = 0.02;

pub fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = scores.iter().map(|s| ((s - max) / TEMPERATURE).exp()).collect();
    let sum: f32 = exps.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    exps.into_iter().map(|e| e / sum).collect()
}

/// Confidence of the top class.
pub fn confidence(probs: &[f32]) -> f32 {
    probs.first().copied().unwrap_or(0.0).clamp(0.0, 1.0)
}
