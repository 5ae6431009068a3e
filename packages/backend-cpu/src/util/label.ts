/** Whether a float32 label is a class index in [0, K); the cross-entropy kernels give NaN otherwise. */
export const isClassIndex = (label: number, K: number): boolean => Number.isInteger(label) && label >= 0 && label < K;
