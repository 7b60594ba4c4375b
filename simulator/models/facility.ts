/**
 * The facility meter: IT + cooling + UPS losses + lighting + distribution losses, and PUE = facility ÷ IT
 * (The Green Grid; ISO/IEC 30134-2 defines it on energy over a period: use the energy counters for that).
 */

export interface FacilityInput {
  /** Power the IT equipment draws (at the rack PDUs), W. */
  itW: number;
  coolingW: number;
  upsLossW: number;
  /** UPS battery recharging power, W. */
  upsChargingW: number;
  lightingW: number;
  distributionLossFraction: number;
}

export interface FacilityPower {
  itW: number;
  coolingW: number;
  upsLossW: number;
  upsChargingW: number;
  lightingW: number;
  distributionLossW: number;
  facilityW: number;
  /** facility ÷ IT; NaN with no IT load. */
  pue: number;
}

export function facilityPower(input: FacilityInput): FacilityPower {
  const carried = input.itW + input.coolingW + input.upsLossW + input.upsChargingW + input.lightingW;
  const distributionLossW = carried * input.distributionLossFraction;
  const facilityW = carried + distributionLossW;
  return {
    itW: input.itW,
    coolingW: input.coolingW,
    upsLossW: input.upsLossW,
    upsChargingW: input.upsChargingW,
    lightingW: input.lightingW,
    distributionLossW,
    facilityW,
    pue: input.itW > 0 ? facilityW / input.itW : Number.NaN,
  };
}
