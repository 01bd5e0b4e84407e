import type { IDataObject } from 'n8n-workflow';

import type { Claim, ClaimRequest, MailLedger } from './mailLedger';
import type { MailIdentity } from './mailIdentity';

/** Where version 0.1.0 kept key → time of the mails it sent, in the workflow's static data. */
const LEGACY_FIELD = 'payrollMailSent';

/**
 * A ledger that also honours what version 0.1.0 noted in the workflow's static data. Those notes
 * name no recipients (a key alone could stand for a whole month), so a mail they name is neither
 * sent again nor reported sent: it fails, asking the clerk to check. They are only read.
 */
export function withLegacyRecord(ledger: MailLedger, staticData: IDataObject): MailLedger {
	const legacy = (staticData[LEGACY_FIELD] ?? {}) as Record<string, string>;
	if (Object.keys(legacy).length === 0) return ledger;
	return {
		async claim(identity: MailIdentity, request: ClaimRequest): Promise<Claim> {
			const sentAt = legacy[identity.legacyKey];
			return sentAt ? { kind: 'legacy', sentAt } : ledger.claim(identity, request);
		},
		accepted: async (identity, record) => ledger.accepted(identity, record),
		release: async (identity) => ledger.release(identity),
	};
}
