import test from "ava";
import { kraftClusterId } from "../harness/services/kafka";

test("KRaft cluster ids never start with '-' (the storage tool would take them for an option)", (t) => {
  // 0xf8 encodes to "-" as the first base64url character; the second draw starts with "A".
  const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0)];
  const id = kraftClusterId(() => draws.shift()!);
  t.is(id, Buffer.alloc(16, 0).toString("base64url"));
  t.is(draws.length, 0);
  t.true(Buffer.alloc(16, 0xf8).toString("base64url").startsWith("-"));
  for (let index = 0; index < 2_000; index++) {
    const random = kraftClusterId();
    t.false(random.startsWith("-"), random);
    t.is(Buffer.from(random, "base64url").length, 16);
  }
});
