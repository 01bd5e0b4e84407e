import type {
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { defaultTuning } from './input/runSettings';
import { DeliveryFailure } from './transport/mailCarrier';
import { describeProtection } from './transport/smtp/connectionSecurity';
import { readSmtpSettings, type SmtpSettings } from './transport/smtp/smtpSettings';
import { credentialScrubber, openSmtpTransport } from './transport/smtp/smtpTransport';

const STEP_NAMES = {
	connection: 'Connecting',
	tls: 'Encryption (TLS)',
	auth: 'Login',
} as const;

/**
 * n8n's "Test" button for the credential: connects, negotiates TLS and logs in as a send
 * would, sends no mail, and on failure names the step and quotes the server.
 */
export async function testPayrollSmtpCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let settings: SmtpSettings;
	try {
		settings = readSmtpSettings(credential.data ?? {});
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
	const scrubber = credentialScrubber(settings);
	const transport = openSmtpTransport(settings, defaultTuning(), { scrubber });
	try {
		const protection = await transport.verify();
		const loggedIn = settings.authMethod === 'none' || (settings.authMethod === 'auto' && !settings.user) ? 'no login asked for' : 'login accepted';
		return { status: 'OK', message: `Connected, ${loggedIn}; the connection is ${describeProtection(protection)}` };
	} catch (error) {
		if (!(error instanceof DeliveryFailure)) return { status: 'Error', message: scrubber.scrub((error as Error).message) };
		const { stage, message } = error.detail;
		const step = stage in STEP_NAMES ? STEP_NAMES[stage as keyof typeof STEP_NAMES] : stage;
		return { status: 'Error', message: scrubber.scrub(`${step} failed: ${message}`) };
	} finally {
		transport.close();
	}
}
