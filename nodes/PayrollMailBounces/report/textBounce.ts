import type { MailPart } from '../read/receivedMail';
import { smtpReply, statusCode, type Bounce, type BounceAction } from './bounce';
import { htmlAsText } from './returnedHeaders';

/** A report's text is a few kilobytes; what is beyond this is not read (no pattern runs over a returned attachment). */
const MAX_TEXT = 64 * 1024;
/** The recipients' paragraph is a few lines. */
const MAX_PARAGRAPH = 4 * 1024;

const ADDRESS = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/**
 * Where non-standard reports name the recipients: the paragraph after these sentences. Gmail's
 * ("Delivery to the following recipient failed permanently:"), Exchange's and Microsoft 365's
 * ("Delivery has failed to these recipients or groups:", "Your message to … couldn't be
 * delivered"), and the classic qmail/Exim/sendmail wordings.
 */
const RECIPIENT_LEADS = [
	/delivery to the following recipients? (?:failed permanently|has been delayed|failed temporarily)[^:\n]*:/i,
	/delivery has failed to these recipients or groups:/i,
	/delivery is delayed to these recipients or groups:/i,
	/your message to (\S+@\S+?) couldn'?t be delivered/i,
	/could not be delivered to (?:one or more of )?(?:the following|its)\s+recipients?[^:\n]*:/i,
	/following address(?:\(es\)|es)? (?:had permanent fatal errors|failed)[^:\n]*:/i,
	/(?:unable|wasn'?t able) to deliver (?:your )?message to the following addresses?[^:\n]*[:.]/i,
];

/** Where they give the remote server's words. */
const DIAGNOSTIC_LEADS = [
	/remote server returned '([^'\n]+)'/i,
	/the (?:response from the remote server|error that the other server returned|response) was:\s*\n\s*([^\n]+)/i,
	/remote host said: ([^\n]+)/i,
	/^[\s#]*((?:[45]\d\d)[ -][245]\.\d{1,3}\.\d{1,3}[^\n#]*)/m,
	/technical details of (?:temporary|permanent) failure:\s*\n\s*([^\n]+)/i,
];

/**
 * A report that is not RFC 3464, read from its text: who failed (else the returned mail's To),
 * the status code and the server's words in it, delayed when it says so or the code is 4.x.x.
 */
export function readTextBounce(parts: MailPart[], subject: string, returnedTo: string, reportingMta: string): Bounce[] {
	const text = parts
		.filter((part) => part.contentType === 'text/plain' || part.contentType === 'text/html')
		.map(htmlAsText)
		.join('\n\n')
		.slice(0, MAX_TEXT)
		.replace(/\r\n?/g, '\n');
	const recipients = named(text);
	if (!recipients.length) recipients.push(...(returnedTo.match(ADDRESS) ?? []));
	if (!recipients.length) return [];
	const diagnostic = smtpReply(DIAGNOSTIC_LEADS.map((lead) => lead.exec(text)?.[1]).find(Boolean) ?? '');
	const status = statusCode(diagnostic) || statusCode(text);
	const delayed = status.startsWith('4') || /\bdelay(ed)?\b|will (?:retry|keep trying)|still trying/i.test(`${subject}\n${text}`);
	const action: BounceAction = delayed && !status.startsWith('5') ? 'delayed' : 'failed';
	return [...new Set(recipients.map((address) => address.toLowerCase()))].map((recipient) => ({
		recipient,
		action,
		status,
		diagnostic,
		remoteMta: '',
		reportingMta,
		format: 'text' as const,
	}));
}

/** The addresses in the paragraph after a lead sentence (or in the sentence itself). */
function named(text: string): string[] {
	for (const lead of RECIPIENT_LEADS) {
		const match = lead.exec(text);
		if (!match) continue;
		if (match[1]) return [match[1].replace(/[.,;:]+$/, '')];
		const after = text.slice(match.index + match[0].length).replace(/^\s*\n/, '');
		const paragraph = after.slice(0, MAX_PARAGRAPH).split(/\n[ \t]*\n/)[0];
		const found = paragraph.match(ADDRESS) ?? [];
		if (found.length) return found;
	}
	return [];
}
