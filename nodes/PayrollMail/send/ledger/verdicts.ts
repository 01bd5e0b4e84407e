import { outcomeUnknown } from '../../core/clerkMessages';
import { mailError, type MailError } from '../../core/mailError';
import type { Claim } from './mailLedger';
import type { MailIdentity } from './mailIdentity';

/** Why a mail the ledger already knows is not sent; an accepted mail is skipped instead. */
export function refusalFor(claim: Exclude<Claim, { kind: 'granted' | 'accepted' }>, identity: MailIdentity): MailError {
	switch (claim.kind) {
		case 'legacy':
			return notSentAgain(
				`an earlier version of this node noted the mail with ${identity.description} as sent on ${claim.sentAt}, ` +
					'without noting to whom. Check the archive copy; to send it anyway, run it with Skip Already Sent off',
			);
		case 'partial': {
			const { accepted, sentAt } = claim.record;
			const missing = identity.recipients.filter((recipient) => !accepted.includes(recipient));
			const who = accepted.length ? ` to ${accepted.join(', ')}, but not to ${missing.join(', ')}` : ' to some of its recipients only';
			return notSentAgain(
				`an earlier execution sent this mail${sentAt ? ` on ${sentAt}` : ''}${who}. Sending it again would give ` +
					'the others a second copy: send it to the missing address in a run of its own',
			);
		}
		case 'unconfirmed': {
			const by = claim.execution ? ` by execution ${claim.execution}` : ' by an earlier execution';
			const when = claim.claimedAt ? ` at ${claim.claimedAt}` : '';
			return outcomeUnknown(
				`Not sent again: this mail was claimed${by}${when}, which never confirmed that the server took it ` +
					'(n8n stopped, or that execution is still sending it)',
				{ advice: 'Check the archive copy (BCC) or ask the employee; to send it again, turn on Resend Unconfirmed Mails for this item' },
			);
		}
	}
}

/** The refusal of a mail an earlier item of the same run sends. */
export function duplicateOf(identity: MailIdentity, itemIndex: number): MailError {
	return mailError(
		'validation',
		'EDUPLICATE',
		`Not sent: item ${itemIndex} makes the same mail (${identity.description}, to ${identity.recipients.join(', ')}) ` +
			'and sends it; a mail goes out once. Give each mail its own Idempotency Key, e.g. ' +
			'{{ $json.employeeId }}-{{ $json.period }}',
	);
}

function notSentAgain(why: string): MailError {
	return mailError('validation', 'EALREADYSENT', `Not sent again: ${why}`);
}
