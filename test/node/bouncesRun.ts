import type { INodeParameters } from 'n8n-workflow';

import { runWorkflow, type HarnessItem } from '../harness';
import type { TestPostgres } from '../support/postgres';
import { PACKAGE_DIR } from './payrollRun';

export const PAYROLL_MAIL_BOUNCES = 'n8n-nodes-payroll-mail.payrollMailBounces';

export async function runBounces(items: HarnessItem[], parameters: INodeParameters = {}, postgres?: TestPostgres) {
	return runWorkflow({
		packageDir: PACKAGE_DIR,
		nodeUnderTest: { type: PAYROLL_MAIL_BOUNCES, parameters, credentials: postgres ? { postgres: postgres.credential() } : undefined },
		items,
	});
}

/** A received mail as a binary field, as a Read/Write Files node or an HTTP Request gives it. */
export const rawItem = (raw: Buffer, name = 'bounce.eml'): HarnessItem => ({
	json: { fileName: name },
	binary: { data: { data: raw, fileName: name, mimeType: 'message/rfc822' } },
});
