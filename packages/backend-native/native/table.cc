// The kernel table of one instruction set: every family's entries, gathered for the dispatcher.
#include "common.h"

namespace hc {
namespace HC_ISA {
extern const KernelEntry kConvKernels[], kPoolKernels[], kNormKernels[], kDenseKernels[], kElementwiseKernels[],
    kOptimKernels[], kProbeKernels[];
}  // namespace HC_ISA

#define HC_CAT2(a, b) a##b
#define HC_CAT(a, b) HC_CAT2(a, b)
extern const KernelEntry* const HC_CAT(kFamilies_, HC_ISA)[] = {
    HC_ISA::kConvKernels, HC_ISA::kPoolKernels, HC_ISA::kNormKernels, HC_ISA::kDenseKernels,
    HC_ISA::kElementwiseKernels, HC_ISA::kOptimKernels, HC_ISA::kProbeKernels, nullptr,
};
}  // namespace hc
