/** A piecewise-linear, strictly increasing map from a provider's linear 0-100 onto the common scale. */
export type Calibration = [from: number, to: number][];

/** Quantiles the calibration is fitted at: every 5 %. */
export const CALIBRATION_QUANTILES = Array.from({ length: 21 }, (_, i) => i / 20);

/**
 * Below this many movies rated by this provider and another, no calibration is fitted: the scale
 * stays linear (identity). Quantiles of a few dozen films are noise, and a noisy top quantile is
 * what once sent an IMDb 8.6 from 2,080 votes to the top of the catalogue.
 */
export const MIN_OVERLAP = 200;

/**
 * A calibration moves a rating by at most this many points, so it corrects a provider's habits
 * (IMDb users bunching at 60-80) without ever sending a mid rating to an end of the scale: IMDb
 * 3.7 (30 linear) stays within 20-40, a 50 within 40-60.
 */
export const MAX_SHIFT = 10;

/**
 * Quantile mapping: the provider's q-th quantile maps onto the reference's q-th quantile, where
 * the reference is the pooled ratings of every provider on the same films. So a film at the
 * provider's median lands at the common median whatever the provider's habits (RT critics
 * spread 0-100, IMDb users bunch at 60-80).
 */
export function fitCalibration(providerQuantiles: number[], referenceQuantiles: number[]): Calibration {
  const points: Calibration = [];
  for (let i = 0; i < providerQuantiles.length; i++) {
    const from = providerQuantiles[i]!;
    const to = referenceQuantiles[i]!;
    const last = points[points.length - 1];
    // Ties in the provider's quantiles (many films at one value) keep the first point only, and
    // the map stays strictly increasing so a higher rating always scores higher.
    if (last && from <= last[0]) continue;
    points.push([from, last ? Math.max(to, last[1] + 1e-6) : to]);
  }
  return points.length >= 2 ? points : [];
}

/**
 * Applies a calibration; beyond its ends it continues with slope 1; the shift is then bounded by
 * MAX_SHIFT (min/max of increasing maps: still strictly increasing) and the result clamped to 0-100.
 */
export function calibrate(value: number, calibration: Calibration): number {
  if (calibration.length < 2) return value;
  const first = calibration[0]!;
  const last = calibration[calibration.length - 1]!;
  let mapped: number;
  if (value <= first[0]) mapped = first[1] - (first[0] - value);
  else if (value >= last[0]) mapped = last[1] + (value - last[0]);
  else {
    let i = 1;
    while (calibration[i]![0] < value) i++;
    const [x0, y0] = calibration[i - 1]!;
    const [x1, y1] = calibration[i]!;
    mapped = y0 + ((value - x0) / (x1 - x0)) * (y1 - y0);
  }
  const bounded = Math.min(value + MAX_SHIFT, Math.max(value - MAX_SHIFT, mapped));
  return Math.min(100, Math.max(0, bounded));
}
