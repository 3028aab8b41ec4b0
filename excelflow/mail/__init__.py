"""The mail channel: send the round's workbooks, fetch the returns, answer with receipts and reminders.

Its job is the clerk's three hand jobs around `collect`: attaching each unit's workbook to an
e-mail (`send`), saving each returned attachment into `inbox/` with the server's arrival time
(`fetch`), and mailing receipts and reminders back (`answers`). It talks to an ordinary IMAP and
SMTP mailbox (a 政务邮箱 or a commercial enterprise mailbox) with the standard library only.

May import: `reports`, `store`, `intake`, `forms`, `register` and the leaf helpers. `runs` calls
it (the fetch before a pass, the locks around every command); it never imports `runs`, `cli`
or click. Settings come from the register's 设置 and 单位 sheets, overridden by the command line;
the password only from the environment or the OS keyring, and it is never written anywhere.
"""
