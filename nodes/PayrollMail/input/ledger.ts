import type { IExecuteFunctions } from 'n8n-workflow';

import { configurationError } from '../core/mailError';
import { DeduplicationLedger, type DeduplicationHelpers } from '../send/ledger/deduplicationLedger';
import { withLegacyRecord } from '../send/ledger/legacyRecord';
import type { MailLedger } from '../send/ledger/mailLedger';

/**
 * Skip Already Sent's record, in n8n's own database (its deduplication store), for this workflow
 * and node; what version 0.1.0 noted in the workflow's static data is still honoured.
 */
export function openLedger(context: IExecuteFunctions): MailLedger {
	const helpers = context.helpers as Partial<DeduplicationHelpers>;
	if (typeof helpers.checkProcessedAndRecord !== 'function' || typeof helpers.removeProcessed !== 'function') {
		throw configurationError(context.getNode(), 'Skip Already Sent keeps its record in n8n\'s deduplication store, which needs n8n 1.63 or later: update n8n, or switch the option off');
	}
	const scope = `${context.getWorkflow().id ?? ''}:${context.getNode().id}`;
	return withLegacyRecord(new DeduplicationLedger(helpers as DeduplicationHelpers, scope), context.getWorkflowStaticData('node'));
}
