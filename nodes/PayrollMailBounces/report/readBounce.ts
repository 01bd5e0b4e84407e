import { headerParameter, headerValue, mediaType, type ReceivedMail } from '../read/receivedMail';
import type { BounceReport } from './bounce';
import { readDeliveryStatus } from './deliveryStatus';
import { returnedMail } from './returnedHeaders';
import { readTextBounce } from './textBounce';

const DELIVERY_STATUS = ['message/delivery-status', 'message/global-delivery-status'];

/** Senders of reports: the null sender, and the mailer daemons and postmasters of every MTA. */
const DAEMON = /mailer-daemon|postmaster|mail delivery (?:system|subsystem)|microsoftexchange[0-9a-f]*@/i;

/** Subjects of non-standard reports; a reply (Re:, AW:, Fwd:) to one is a person writing, not a report. */
const REPORT_SUBJECT =
	/^(?:undeliver(?:able|ed)|delivery (?:status notification|failure|has failed|delayed|incomplete)|returned mail|mail delivery failed|failure notice|non.?delivery|delayed mail|warning: could not send|delivery delayed)\b/i;
const REPLY = /^(?:re|aw|sv|antw|fw|fwd|wg|tr)\s*:/i;

/**
 * Whether a received mail is a bounce, and what it says: for each failed or delayed recipient,
 * a Bounce, and the mail it is about. Undefined for everything else: replies, auto-replies, read
 * receipts, reports that every recipient got the mail.
 *
 * A standard report (multipart/report with a delivery-status part, RFC 3464) is read from its
 * fields. Anything else counts only when a mailer daemon sent it, or its subject is a report's,
 * and its text names who failed.
 */
export function readBounce(mail: ReceivedMail): BounceReport | undefined {
	const contentType = headerValue(mail.headers, 'content-type');
	const reportType = mediaType(contentType) === 'multipart/report' ? headerParameter(contentType, 'report-type').toLowerCase() : '';
	// A read receipt or another kind of report is no bounce, whatever its text says.
	if (reportType && reportType !== 'delivery-status' && reportType !== 'global-delivery-status') return undefined;
	const reference = returnedMail(mail.parts);
	const { to: returnedTo, ...mailReference } = reference;

	const statusParts = mail.parts.filter((part) => DELIVERY_STATUS.includes(part.contentType));
	// n8n's Email Trigger gives a report's delivery-status part as part of the text.
	const statusTexts = statusParts.length ? statusParts : reportType ? mail.parts.filter((part) => part.contentType === 'text/plain') : [];
	if (statusTexts.length) {
		const status = readDeliveryStatus(statusTexts.map((part) => part.text).join('\n\n'));
		if (status.recipientBlocks > 0) {
			if (!status.bounces.length) return undefined;
			return { mail: { ...mailReference, mailId: status.envelopeId || mailReference.mailId }, bounces: status.bounces };
		}
	}

	const subject = headerValue(mail.headers, 'subject');
	const sender = ['from', 'sender', 'return-path'].map((name) => headerValue(mail.headers, name)).join(' ');
	const fromDaemon = DAEMON.test(sender) || headerValue(mail.headers, 'return-path').replace(/\s/g, '') === '<>';
	// A report's subject from anyone else counts only with one of our mails returned in it.
	const ours = Boolean(mailReference.mailId || mailReference.messageId);
	const reportSubject = !REPLY.test(subject) && REPORT_SUBJECT.test(subject) && ours;
	if (!fromDaemon && !reportSubject) return undefined;
	// A non-standard report names no reporting server; the daemon's domain is the nearest there is.
	const reportingMta = /@([^\s>]+)/.exec(headerValue(mail.headers, 'from'))?.[1] ?? '';
	const bounces = readTextBounce(mail.parts, subject, returnedTo, reportingMta);
	return bounces.length ? { mail: mailReference, bounces } : undefined;
}
