import { randomUUID } from 'node:crypto';

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { defaultTuning } from '../../nodes/PayrollMail/input/runSettings';
import { DeliveryFailure, type SentInfo } from '../../nodes/PayrollMail/transport/mailCarrier';
import { readSmtpSettings } from '../../nodes/PayrollMail/transport/smtp/smtpSettings';
import { openSmtpTransport, type TransportTuning } from '../../nodes/PayrollMail/transport/smtp/smtpTransport';

export type SendOutcome = { sent: SentInfo } | { failure: DeliveryFailure };

/** Sends one small mail with a credential as n8n stores it, and says how it went. */
export async function sendOne(
	credential: ICredentialDataDecryptedObject,
	tuning: Partial<TransportTuning> = {},
): Promise<SendOutcome> {
	const transport = openSmtpTransport(readSmtpSettings(credential), { ...defaultTuning(), ...tuning });
	try {
		const sent = await transport.send({
			from: 'payroll@example.com',
			to: 'anna.muster@example.com',
			subject: 'Payslip',
			text: 'Your payslip is attached.',
			envelope: { from: 'payroll@example.com', to: ['anna.muster@example.com'] },
			messageId: `<${randomUUID()}@example.com>`,
		});
		return { sent };
	} catch (error) {
		if (error instanceof DeliveryFailure) return { failure: error };
		throw error;
	} finally {
		transport.close();
	}
}

export function expectSent(outcome: SendOutcome): SentInfo {
	if ('failure' in outcome) throw new Error(`expected a sent mail, got: ${outcome.failure.message}`);
	return outcome.sent;
}

export function expectFailure(outcome: SendOutcome): DeliveryFailure {
	if ('sent' in outcome) throw new Error(`expected a failure, but the mail was sent: ${outcome.sent.response}`);
	return outcome.failure;
}
