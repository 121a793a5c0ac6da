;; scrypt's memory-hard part, ROMix (RFC 7914 §5) with BlockMix and Salsa20/8 on 128-bit SIMD.
;; Assembled by tools/build-wasm.mjs into romix-wasm.ts; driven by scrypt-wasm.ts, which does
;; the PBKDF2-HMAC-SHA256 before and after.
;;
;; Memory (bs = 128·r bytes, one scrypt block):
;;   [0, bs)              A: the input block (scrypt's word order) before romix, then working block X
;;   [bs, 2·bs)           B: the output block (scrypt's word order) after romix, before that the other working block
;;   [2·bs, 2·bs + N·bs)  V: the N blocks ROMix stores
;; Inside, every 64-byte Salsa block is kept in "diagonal" order (as Tarsnap's and libsodium's SSE2
;; code do): word i of the stored block is word 5·i mod 16 of scrypt's, so the four v128 rows are
;; the Salsa20 diagonals and each round needs only lane rotations (i8x16.shuffle of 32-bit lanes),
;; never a transpose. The permutation is undone on the way out. Words are little-endian, as
;; WebAssembly's loads are, so no byte swapping.
(module
  (memory (export "memory") 1)

  ;; dst[w] = src[(w & ~15) | (5·w & 15)] for the 32·r words of one block: scrypt order → diagonal order.
  (func $shuffle (param $src i32) (param $dst i32) (param $words i32)
    (local $w i32)
    (loop $l
      (i32.store
        (i32.add (local.get $dst) (i32.shl (local.get $w) (i32.const 2)))
        (i32.load (i32.add (local.get $src)
          (i32.shl (i32.or (i32.and (local.get $w) (i32.const -16))
                           (i32.and (i32.mul (local.get $w) (i32.const 5)) (i32.const 15)))
                   (i32.const 2)))))
      (local.set $w (i32.add (local.get $w) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $w) (local.get $words)))))

  ;; The inverse: dst[(w & ~15) | (5·w & 15)] = src[w].
  (func $unshuffle (param $src i32) (param $dst i32) (param $words i32)
    (local $w i32)
    (loop $l
      (i32.store
        (i32.add (local.get $dst)
          (i32.shl (i32.or (i32.and (local.get $w) (i32.const -16))
                           (i32.and (i32.mul (local.get $w) (i32.const 5)) (i32.const 15)))
                   (i32.const 2)))
        (i32.load (i32.add (local.get $src) (i32.shl (local.get $w) (i32.const 2)))))
      (local.set $w (i32.add (local.get $w) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $w) (local.get $words)))))

  ;; BlockMix_salsa20/8 of the block at $s (xored with the block at $t first when $xor), into $d:
  ;; even Salsa outputs to the first half of $d, odd ones to the second. $d must not overlap $s or $t.
  ;; A function of its own (not inlined into romix's loops) so that V8 tiers it up to optimized code
  ;; after a few calls: a long-running wasm function is never replaced mid-call.
  (func $blockmix (param $s i32) (param $t i32) (param $d i32) (param $r i32) (param $xor i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $tmp v128)
    (local $k i32) (local $n i32) (local $half i32) (local $o i32) (local $out i32) (local $i i32)
    (local.set $n (i32.shl (local.get $r) (i32.const 1)))
    (local.set $half (i32.shl (local.get $r) (i32.const 6)))
    ;; X = last Salsa block of the input
    (local.set $o (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 6)))
    (local.set $x0 (v128.load offset=0 (i32.add (local.get $s) (local.get $o))))
    (local.set $x1 (v128.load offset=16 (i32.add (local.get $s) (local.get $o))))
    (local.set $x2 (v128.load offset=32 (i32.add (local.get $s) (local.get $o))))
    (local.set $x3 (v128.load offset=48 (i32.add (local.get $s) (local.get $o))))
    (if (local.get $xor) (then
      (local.set $x0 (v128.xor (local.get $x0) (v128.load offset=0 (i32.add (local.get $t) (local.get $o)))))
      (local.set $x1 (v128.xor (local.get $x1) (v128.load offset=16 (i32.add (local.get $t) (local.get $o)))))
      (local.set $x2 (v128.xor (local.get $x2) (v128.load offset=32 (i32.add (local.get $t) (local.get $o)))))
      (local.set $x3 (v128.xor (local.get $x3) (v128.load offset=48 (i32.add (local.get $t) (local.get $o)))))))
    (local.set $k (i32.const 0))
    (loop $blocks
      ;; X ^= input Salsa block k
      (local.set $o (i32.shl (local.get $k) (i32.const 6)))
      (local.set $x0 (v128.xor (local.get $x0) (v128.load offset=0 (i32.add (local.get $s) (local.get $o)))))
      (local.set $x1 (v128.xor (local.get $x1) (v128.load offset=16 (i32.add (local.get $s) (local.get $o)))))
      (local.set $x2 (v128.xor (local.get $x2) (v128.load offset=32 (i32.add (local.get $s) (local.get $o)))))
      (local.set $x3 (v128.xor (local.get $x3) (v128.load offset=48 (i32.add (local.get $s) (local.get $o)))))
      (if (local.get $xor) (then
        (local.set $x0 (v128.xor (local.get $x0) (v128.load offset=0 (i32.add (local.get $t) (local.get $o)))))
        (local.set $x1 (v128.xor (local.get $x1) (v128.load offset=16 (i32.add (local.get $t) (local.get $o)))))
        (local.set $x2 (v128.xor (local.get $x2) (v128.load offset=32 (i32.add (local.get $t) (local.get $o)))))
        (local.set $x3 (v128.xor (local.get $x3) (v128.load offset=48 (i32.add (local.get $t) (local.get $o)))))))
      ;; X = Salsa20/8(X)
      (local.set $y0 (local.get $x0))
      (local.set $y1 (local.get $x1))
      (local.set $y2 (local.get $x2))
      (local.set $y3 (local.get $x3))
      (local.set $i (i32.const 4))
      (loop $rounds
        ;; columns
        (local.set $tmp (i32x4.add (local.get $x0) (local.get $x3)))
        (local.set $x1 (v128.xor (v128.xor (local.get $x1) (i32x4.shl (local.get $tmp) (i32.const 7))) (i32x4.shr_u (local.get $tmp) (i32.const 25))))
        (local.set $tmp (i32x4.add (local.get $x1) (local.get $x0)))
        (local.set $x2 (v128.xor (v128.xor (local.get $x2) (i32x4.shl (local.get $tmp) (i32.const 9))) (i32x4.shr_u (local.get $tmp) (i32.const 23))))
        (local.set $tmp (i32x4.add (local.get $x2) (local.get $x1)))
        (local.set $x3 (v128.xor (v128.xor (local.get $x3) (i32x4.shl (local.get $tmp) (i32.const 13))) (i32x4.shr_u (local.get $tmp) (i32.const 19))))
        (local.set $tmp (i32x4.add (local.get $x3) (local.get $x2)))
        (local.set $x0 (v128.xor (v128.xor (local.get $x0) (i32x4.shl (local.get $tmp) (i32.const 18))) (i32x4.shr_u (local.get $tmp) (i32.const 14))))
        ;; rotate lanes: x1 by [3,0,1,2], x2 by [2,3,0,1], x3 by [1,2,3,0]
        (local.set $x1 (i8x16.shuffle 12 13 14 15 0 1 2 3 4 5 6 7 8 9 10 11 (local.get $x1) (local.get $x1)))
        (local.set $x2 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x2) (local.get $x2)))
        (local.set $x3 (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (local.get $x3) (local.get $x3)))
        ;; rows
        (local.set $tmp (i32x4.add (local.get $x0) (local.get $x1)))
        (local.set $x3 (v128.xor (v128.xor (local.get $x3) (i32x4.shl (local.get $tmp) (i32.const 7))) (i32x4.shr_u (local.get $tmp) (i32.const 25))))
        (local.set $tmp (i32x4.add (local.get $x3) (local.get $x0)))
        (local.set $x2 (v128.xor (v128.xor (local.get $x2) (i32x4.shl (local.get $tmp) (i32.const 9))) (i32x4.shr_u (local.get $tmp) (i32.const 23))))
        (local.set $tmp (i32x4.add (local.get $x2) (local.get $x3)))
        (local.set $x1 (v128.xor (v128.xor (local.get $x1) (i32x4.shl (local.get $tmp) (i32.const 13))) (i32x4.shr_u (local.get $tmp) (i32.const 19))))
        (local.set $tmp (i32x4.add (local.get $x1) (local.get $x2)))
        (local.set $x0 (v128.xor (v128.xor (local.get $x0) (i32x4.shl (local.get $tmp) (i32.const 18))) (i32x4.shr_u (local.get $tmp) (i32.const 14))))
        ;; rotate back: x1 by [1,2,3,0], x2 by [2,3,0,1], x3 by [3,0,1,2]
        (local.set $x1 (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (local.get $x1) (local.get $x1)))
        (local.set $x2 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x2) (local.get $x2)))
        (local.set $x3 (i8x16.shuffle 12 13 14 15 0 1 2 3 4 5 6 7 8 9 10 11 (local.get $x3) (local.get $x3)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br_if $rounds (local.get $i)))
      (local.set $x0 (i32x4.add (local.get $x0) (local.get $y0)))
      (local.set $x1 (i32x4.add (local.get $x1) (local.get $y1)))
      (local.set $x2 (i32x4.add (local.get $x2) (local.get $y2)))
      (local.set $x3 (i32x4.add (local.get $x3) (local.get $y3)))
      ;; Y[k] goes to d[k/2] for even k, d[r + k/2] for odd k
      (local.set $out (i32.add (local.get $d)
        (i32.add (i32.shl (i32.shr_u (local.get $k) (i32.const 1)) (i32.const 6))
                 (i32.mul (i32.and (local.get $k) (i32.const 1)) (local.get $half)))))
      (v128.store offset=0 (local.get $out) (local.get $x0))
      (v128.store offset=16 (local.get $out) (local.get $x1))
      (v128.store offset=32 (local.get $out) (local.get $x2))
      (v128.store offset=48 (local.get $out) (local.get $x3))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $blocks (i32.lt_u (local.get $k) (local.get $n)))))

  ;; ROMix of the block at 0 (scrypt order), N a power of 2 ≥ 2, memory ≥ (N + 2)·128·r bytes; the
  ;; result (scrypt order) at 128·r. Working data left in [0, 2·128·r) and V: see wipe.
  (func (export "romix") (param $r i32) (param $N i32)
    (local $bs i32) (local $v i32) (local $p i32) (local $i i32) (local $mask i32) (local $last i32)
    (local.set $bs (i32.shl (local.get $r) (i32.const 7)))
    (local.set $v (i32.shl (local.get $bs) (i32.const 1)))
    (local.set $mask (i32.sub (local.get $N) (i32.const 1)))
    (local.set $last (i32.sub (local.get $bs) (i32.const 64)))
    ;; V[0] = X
    (call $shuffle (i32.const 0) (local.get $v) (i32.shl (local.get $r) (i32.const 5)))
    ;; V[i + 1] = BlockMix(V[i]) for i < N - 1, then X = BlockMix(V[N - 1])
    (local.set $p (local.get $v))
    (local.set $i (local.get $mask))
    (loop $fill
      (call $blockmix (local.get $p) (i32.const 0) (i32.add (local.get $p) (local.get $bs)) (local.get $r) (i32.const 0))
      (local.set $p (i32.add (local.get $p) (local.get $bs)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $fill (local.get $i)))
    (call $blockmix (local.get $p) (i32.const 0) (i32.const 0) (local.get $r) (i32.const 0))
    ;; N times X = BlockMix(X ^ V[Integerify(X) mod N]), X alternating between A and B; N is even
    ;; so it ends in A. Integerify reads word 0 of the last Salsa block, lane 0 in diagonal order too.
    (local.set $i (i32.shr_u (local.get $N) (i32.const 1)))
    (loop $mix
      (call $blockmix (i32.const 0)
        (i32.add (local.get $v) (i32.mul (i32.and (i32.load (local.get $last)) (local.get $mask)) (local.get $bs)))
        (local.get $bs) (local.get $r) (i32.const 1))
      (call $blockmix (local.get $bs)
        (i32.add (local.get $v) (i32.mul (i32.and (i32.load (i32.add (local.get $bs) (local.get $last))) (local.get $mask)) (local.get $bs)))
        (i32.const 0) (local.get $r) (i32.const 1))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $mix (local.get $i)))
    (call $unshuffle (i32.const 0) (local.get $bs) (i32.shl (local.get $r) (i32.const 5))))

;; Zeroes the first $bytes bytes: the working blocks A and B (2·128·r), or V too ((N + 2)·128·r).
  (func (export "wipe") (param $bytes i32)
    (memory.fill (i32.const 0) (i32.const 0) (local.get $bytes))))
