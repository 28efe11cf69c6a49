/*
 * test_format.c - alert formats against hostile values: a JSON alert is
 * valid UTF-8 JSON whatever bytes a field holds (a stray byte becomes
 * U+FFFD, valid multi-byte characters stay, control characters are
 * escaped), and the text line never holds a newline from a value.
 */
#include "output/output.h"
#include "t.h"

T_TEST(json_hostile_bytes)
{
	static struct out_alert a;
	struct out_fmt f = {.json = true, .json_output_prop = true, .hostname = "h\xffost"};
	char buf[8192];
	size_t n;

	out_alert_init(&a, 1700000000000000000ull, 4, "r\"ule", "syscall");
	/* what the worker renders: control characters already escaped there */
	out_alert_set_output(&a, "x \\n y", 6);
	out_alert_add_field(&a, "proc.name", "cat\xff\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3)", 15,
			    OUT_FV_STR);
	out_alert_add_field(&a, "fd.name", "\xed\xa0\x80\xc0\xaf\x01", 6, OUT_FV_STR);
	n = out_format(&a, &f, buf, sizeof(buf));
	T_CHECK(n < sizeof(buf));
	/* the stray 0xff, the lone 0xc3 before ')', a surrogate and an overlong
	 * form each become U+FFFD; é, € and the emoji stay as they are */
	T_CHECK(strstr(buf, "\"proc.name\":\"cat\\ufffd\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\ufffd)\""));
	T_CHECK(strstr(buf, "\"fd.name\":\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\u0001\""));
	T_CHECK(strstr(buf, "\"hostname\":\"h\\ufffdost\""));
	T_CHECK(strstr(buf, "\"rule\":\"r\\\"ule\""));
	T_CHECK(!strchr(buf, '\n'));
	for (size_t i = 0; i < n; i++)
		T_CHECK((unsigned char)buf[i] != 0xff && (unsigned char)buf[i] != 0xc0);
}

int main(void)
{
	T_RUN(json_hostile_bytes);
	return T_DONE();
}
