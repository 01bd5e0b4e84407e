import type { IExecuteFunctions } from 'n8n-workflow';

import { configurationError } from '../core/mailError';
import { readSmtpSettings, SmtpSettingsError, type SmtpSettings } from '../transport/smtp/smtpSettings';

/** The node's "Payroll Mail SMTP" credential, checked; a field to correct stops the node. */
export async function readSmtpCredential(context: IExecuteFunctions): Promise<SmtpSettings> {
	const data = await context.getCredentials('payrollSmtpApi');
	try {
		return readSmtpSettings(data);
	} catch (error) {
		const message = error instanceof SmtpSettingsError ? `Payroll Mail SMTP credential: ${error.message}` : (error as Error).message;
		throw configurationError(context.getNode(), message);
	}
}
