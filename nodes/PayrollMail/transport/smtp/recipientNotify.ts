import SMTPConnection from 'nodemailer/lib/smtp-connection';

/**
 * Delivery status notifications per recipient. nodemailer asks for one NOTIFY for all the
 * recipients of a mail, but the archive copy must ask for none (NOTIFY=NEVER): a bounce from the
 * archive mailbox is not an employee's payslip gone missing. An envelope that names
 * `quietRecipients` gets NOTIFY=NEVER for those; every other envelope is left as nodemailer makes
 * it. nodemailer writes each RCPT TO with `_getDsnRcptToArgs()` right after queueing the
 * recipient, so the last queued one is the recipient being written. A test against a DSN server
 * checks the envelope parameters, so a nodemailer that works otherwise fails it rather than
 * sending quietly wrong.
 */
export interface QuietEnvelope {
	quietRecipients?: string[];
}

interface ConnectionInternals {
	_envelope?: QuietEnvelope & { dsn?: { notify?: string | null } };
	_recipientQueue?: string[];
	_getDsnRcptToArgs(): string;
}

const prototype = SMTPConnection.prototype as unknown as ConnectionInternals;
const nodemailerArgs = prototype._getDsnRcptToArgs;

if (typeof nodemailerArgs !== 'function') {
	throw new Error('This nodemailer writes RCPT TO differently: Payroll Mail cannot ask for delivery reports per recipient');
}

prototype._getDsnRcptToArgs = function (this: ConnectionInternals): string {
	const args = nodemailerArgs.call(this);
	const queue = this._recipientQueue ?? [];
	const recipient = queue[queue.length - 1];
	const quiet = this._envelope?.quietRecipients;
	if (!quiet?.length || recipient === undefined || !quiet.includes(recipient)) return args;
	return args.replace(/ NOTIFY=[^ ]*/, ' NOTIFY=NEVER');
};
