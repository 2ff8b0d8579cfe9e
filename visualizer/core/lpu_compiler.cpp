#include "visualizer/core/lpu_compiler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace wb::sim {

std::string_view unitKindName(UnitKind unit) {
    switch (unit) {
    case UnitKind::Mem:
        return "MEM";
    case UnitKind::Vxm:
        return "VXM";
    case UnitKind::Mxm:
        return "MXM";
    case UnitKind::Sxm:
        return "SXM";
    case UnitKind::C2c:
        return "C2C";
    }
    return "?";
}

std::string_view boundKindName(BoundKind bound) {
    switch (bound) {
    case BoundKind::Mxm:
        return "MXM";
    case BoundKind::Vxm:
        return "VXM";
    case BoundKind::Mem:
        return "MEM";
    case BoundKind::Sxm:
        return "SXM";
    case BoundKind::C2c:
        return "C2C";
    case BoundKind::Dependency:
        return "dependency chain";
    }
    return "?";
}

std::string_view opKindName(OpKind kind) {
    switch (kind) {
    case OpKind::WeightRead:
        return "read";
    case OpKind::KvWrite:
        return "kv_write";
    case OpKind::Dequantize:
        return "dequantize";
    case OpKind::MatMul:
        return "matmul";
    case OpKind::Vector:
        return "vector";
    case OpKind::LaneReduce:
        return "lane_reduce";
    case OpKind::Send:
        return "send";
    }
    return "?";
}

std::vector<UnitRow> Schedule::unitRows() const {
    std::vector<UnitRow> rows_;
    rows_.reserve(static_cast<std::size_t>(chips) * (4 + linksPerChip));
    for (int c = 0; c < chips; ++c) {
        for (auto u : {UnitKind::Mem, UnitKind::Vxm, UnitKind::Mxm, UnitKind::Sxm})
            rows_.push_back({c, u, 0});
        for (int l = 0; l < linksPerChip; ++l)
            rows_.push_back({c, UnitKind::C2c, static_cast<std::int16_t>(l)});
    }
    return rows_;
}

namespace {

BoundKind boundOf(UnitKind unit) {
    switch (unit) {
    case UnitKind::Mem:
        return BoundKind::Mem;
    case UnitKind::Vxm:
        return BoundKind::Vxm;
    case UnitKind::Mxm:
        return BoundKind::Mxm;
    case UnitKind::Sxm:
        return BoundKind::Sxm;
    case UnitKind::C2c:
        return BoundKind::C2c;
    }
    return BoundKind::Dependency;
}

std::int64_t cyclesFor(double work, double perCycle) {
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(work / perCycle)));
}

// One member of a streamed group (MEM -> VXM -> MXM).
struct StreamMember {
    UnitKind unit;
    OpKind kind;
    std::int64_t busy;
    double bytes;
};

class Builder {
public:
    Builder(const HardwareDescription& hw, int chips) : p_(hw.lpu) {
        schedule_.chips = chips;
        schedule_.linksPerChip = p_.c2cLinks;
        schedule_.clockHz = p_.clockHz;
        unitsPerChip_ = 4 + p_.c2cLinks;
        freeAt_.assign(static_cast<std::size_t>(chips) * unitsPerChip_, 0);
        lastOp_.assign(freeAt_.size(), -1);
    }

    int layer = -1;

    // An op on one unit, started when its data dependencies are ready and its unit is free (units issue
    // in order, like the TSP's instruction queues).
    int add(int chip, UnitKind unit, int unitIndex, OpKind kind, const char* label, std::int64_t busy,
            std::int64_t latency, const std::vector<int>& deps, double bytes = 0, int peer = -1,
            int peers = 0) {
        ScheduledOp op;
        op.chip = chip;
        op.unit = unit;
        op.unitIndex = static_cast<std::int16_t>(unitIndex);
        op.kind = kind;
        op.layer = layer;
        op.label = label;
        op.bytes = bytes;
        op.peerChip = peer;
        op.peerCount = peer >= 0 ? std::max(1, peers) : 0;
        op.binding = boundOf(unit);
        std::int64_t earliest = 0;
        op.firstDep = static_cast<std::int32_t>(schedule_.deps.size());
        for (int d : deps) {
            schedule_.deps.push_back({d, false, 0});
            const auto ready = schedule_.ops[static_cast<std::size_t>(d)].readyAt;
            if (ready >= earliest) {
                earliest = ready;
                op.criticalPred = d;
            }
        }
        op.depCount = static_cast<std::int32_t>(deps.size());
        const std::size_t slot = slotOf(chip, unit, unitIndex);
        if (freeAt_[slot] > earliest) {
            earliest = freeAt_[slot];
            op.criticalPred = lastOp_[slot];
        }
        op.start = earliest;
        op.end = earliest + busy;
        op.readyAt = op.end + latency;
        return push(op, slot);
    }

    // A streamed group on one chip: each member starts one fill latency after the previous one and is
    // held until the stream has passed through it. Returns the last member (the result).
    int addStream(int chip, const char* label, const std::vector<StreamMember>& members,
                  const std::vector<int>& deps) {
        std::vector<std::int64_t> offsets;
        std::int64_t offset = 0;
        for (const auto& m : members) {
            offsets.push_back(offset);
            offset += fillOf(m.unit);
        }
        std::int64_t start = 0;
        int pred = -1;
        for (int d : deps) {
            const auto ready = schedule_.ops[static_cast<std::size_t>(d)].readyAt;
            if (ready >= start) {
                start = ready;
                pred = d;
            }
        }
        for (std::size_t i = 0; i < members.size(); ++i) {
            const std::size_t slot = slotOf(chip, members[i].unit, 0);
            if (freeAt_[slot] - offsets[i] > start) {
                start = freeAt_[slot] - offsets[i];
                pred = lastOp_[slot];
            }
        }
        // The slowest member sets the pace for all of them.
        std::int64_t pace = 0;
        BoundKind binding = BoundKind::Dependency;
        for (const auto& m : members)
            if (m.busy > pace) {
                pace = m.busy;
                binding = boundOf(m.unit);
            }
        int head = -1, previous = -1;
        for (std::size_t i = 0; i < members.size(); ++i) {
            ScheduledOp op;
            op.chip = chip;
            op.unit = members[i].unit;
            op.kind = members[i].kind;
            op.layer = layer;
            op.label = label;
            op.bytes = members[i].bytes;
            op.start = start + offsets[i];
            op.end = op.start + pace;
            op.readyAt = op.end + (i + 1 == members.size() ? fillOf(members[i].unit) : 0);
            op.binding = binding;
            op.firstDep = static_cast<std::int32_t>(schedule_.deps.size());
            if (previous < 0) {
                for (int d : deps)
                    schedule_.deps.push_back({d, false, 0});
                op.depCount = static_cast<std::int32_t>(deps.size());
                op.criticalPred = pred;
            } else {
                schedule_.deps.push_back({previous, true, offsets[i] - offsets[i - 1]});
                op.depCount = 1;
                op.criticalPred = previous;
            }
            op.groupHead = head;
            previous = push(op, slotOf(chip, members[i].unit, 0));
            if (head < 0) {
                head = previous;
                schedule_.ops[static_cast<std::size_t>(head)].groupHead = head;
            }
        }
        return previous;
    }

    const ScheduledOp& op(int id) const { return schedule_.ops[static_cast<std::size_t>(id)]; }
    Schedule take() { return std::move(schedule_); }
    const LpuParameters& params() const { return p_; }

private:
    std::int64_t fillOf(UnitKind unit) const {
        switch (unit) {
        case UnitKind::Mem:
            return static_cast<std::int64_t>(p_.memFillCycles);
        case UnitKind::Vxm:
            return static_cast<std::int64_t>(p_.vxmFillCycles);
        case UnitKind::Mxm:
            return static_cast<std::int64_t>(p_.mxmFillCycles);
        case UnitKind::Sxm:
            return static_cast<std::int64_t>(p_.sxmFillCycles);
        case UnitKind::C2c:
            return static_cast<std::int64_t>(p_.c2cHopLatencyCycles);
        }
        return 0;
    }
    std::size_t slotOf(int chip, UnitKind unit, int index) const {
        const int local = unit == UnitKind::C2c ? 4 + index : static_cast<int>(unit);
        return static_cast<std::size_t>(chip) * unitsPerChip_ + static_cast<std::size_t>(local);
    }
    int push(const ScheduledOp& op, std::size_t slot) {
        const int id = static_cast<int>(schedule_.ops.size());
        schedule_.ops.push_back(op);
        freeAt_[slot] = op.end;
        lastOp_[slot] = id;
        return id;
    }

    const LpuParameters& p_;
    Schedule schedule_;
    int unitsPerChip_ = 0;
    std::vector<std::int64_t> freeAt_;
    std::vector<int> lastOp_;
};

// The MXM computes in int8 when activations are int8, otherwise in fp16.
NumberFormat mxmFormat(const Precision& precision) {
    return precision.activations == NumberFormat::Int8 ? NumberFormat::Int8 : NumberFormat::Fp16;
}

class PassCompiler {
public:
    PassCompiler(const ModelArchitecture& m, const HardwareDescription& hw, const DeploymentOptions& o,
                 const Partition& part, const PassShape& shape, const std::atomic<bool>* cancel)
        : m_(m), p_(hw.lpu), o_(o), part_(part), shape_(shape), cancel_(cancel), b_(hw, part.chips) {
        mode_ = mxmFormat(o.precision);
        macsPerCycle_ = mode_ == NumberFormat::Int8 ? p_.int8MacsPerCycle() : p_.fp16MacsPerCycle();
        memBytesPerCycle_ = p_.sramBandwidth() / p_.clockHz;
        streamBytesPerCycle_ = p_.feedBytesPerCycle();
        linkBytesPerCycle_ = p_.c2cLinkBandwidth / p_.clockHz;
        actBytes_ = bytesPerElement(o.precision.activations);
    }

    Schedule run() {
        std::vector<std::vector<int>> ready = embedding();
        for (int layer = 0; layer < static_cast<int>(m_.layers); ++layer) {
            if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) throw SimulationCancelled();
            ready = transformerLayer(layer, ready);
        }
        outputHead(ready);
        Schedule s = b_.take();
        s.rows = shape_.rows;
        for (const auto& op : s.ops)
            s.makespan = std::max(s.makespan, op.readyAt);
        attributeLayers(s);
        return s;
    }

private:
    // --- topology -------------------------------------------------------------------------------
    int nodeOf(int chip) const { return chip / p_.chipsPerNode; }
    int rackOf(int chip) const { return chip / p_.chipsPerRack(); }
    int hops(int from, int to) const {
        if (nodeOf(from) == nodeOf(to)) return 1;
        return rackOf(from) == rackOf(to) ? 2 : 3; // Dragonfly: local, global, local
    }
    int linkFor(int from, int to) const {
        if (nodeOf(from) == nodeOf(to)) {
            const int a = from % p_.chipsPerNode, bb = to % p_.chipsPerNode;
            return bb < a ? bb : bb - 1;
        }
        return p_.intraNodeLinks + nodeOf(to) % p_.globalLinks;
    }
    int send(int from, int to, double bytes, const char* label, const std::vector<int>& deps) {
        // Streams move whole vectors (one byte per lane), so a transfer is a whole number of them.
        bytes = std::ceil(bytes / p_.lanes) * p_.lanes;
        const auto busy = cyclesFor(bytes, linkBytesPerCycle_);
        const auto latency = static_cast<std::int64_t>(p_.c2cHopLatencyCycles) * hops(from, to);
        return b_.add(from, UnitKind::C2c, linkFor(from, to), OpKind::Send, label, busy, latency, deps, bytes,
                      to);
    }

    // --- unit work --------------------------------------------------------------------------------
    int vector(int chip, const char* label, double elements, double opsPerElement,
               const std::vector<int>& deps) {
        return b_.add(chip, UnitKind::Vxm, 0, OpKind::Vector, label,
                      cyclesFor(elements * opsPerElement, p_.vxmAlus),
                      static_cast<std::int64_t>(p_.vxmFillCycles), deps);
    }
    // A cross-lane reduction: log2(lanes) shift steps per 320-element vector, on the chip's SXMs.
    int laneReduce(int chip, const char* label, double vectors, const std::vector<int>& deps) {
        const double steps = std::ceil(std::log2(double(p_.lanes)));
        return b_.add(chip, UnitKind::Sxm, 0, OpKind::LaneReduce, label,
                      cyclesFor(vectors * steps, p_.sxmUnits), static_cast<std::int64_t>(p_.sxmFillCycles),
                      deps);
    }
    int norm(int chip, const char* label, const std::vector<int>& deps) {
        const double rows = shape_.rows;
        const int squares = vector(chip, label, rows * m_.hidden, 2.0, deps);
        const int sums = laneReduce(chip, label, rows, {squares});
        return vector(chip, label, rows * m_.hidden, 2.0, {sums});
    }
    // Stored elements of `format` streamed from MEM into the MXM, converted on the VXM when the MXM
    // computes in another format (per-channel scales are applied to the outputs, not per element).
    int matmul(int chip, const char* label, double storedElements, NumberFormat format, double macs,
               const std::vector<int>& deps) {
        const double storedBytes = storedElements * bytesPerElement(format);
        std::vector<StreamMember> members;
        members.push_back(
            {UnitKind::Mem, OpKind::WeightRead, cyclesFor(storedBytes, memBytesPerCycle_), storedBytes});
        if (format != mode_)
            members.push_back({UnitKind::Vxm, OpKind::Dequantize, cyclesFor(storedElements, p_.vxmAlus),
                               storedElements * bytesPerElement(mode_)});
        const double installBytes = storedElements * bytesPerElement(mode_);
        const auto mxmBusy =
            std::max(cyclesFor(installBytes, streamBytesPerCycle_), cyclesFor(macs, macsPerCycle_));
        members.push_back({UnitKind::Mxm, OpKind::MatMul, mxmBusy, 0.0});
        return b_.addStream(chip, label, members, deps);
    }

    // --- model structure ---------------------------------------------------------------------------
    std::vector<int> stageChips(int stage) const {
        std::vector<int> chips;
        for (int r = 0; r < part_.tensorParallel; ++r)
            chips.push_back(part_.stageFirstChip(stage) + r);
        return chips;
    }
    std::vector<int> headChips() const {
        std::vector<int> chips;
        for (int c = 0; c < part_.headChips; ++c)
            chips.push_back(c);
        return chips;
    }

    // Embedding row lookup on the first head chip, sent to every chip of stage 0.
    std::vector<std::vector<int>> embedding() {
        b_.layer = -1;
        const double rows = shape_.rows;
        const double elements = rows * m_.hidden;
        const double bytes = elements * bytesPerElement(o_.precision.weights);
        int row = b_.add(0, UnitKind::Mem, 0, OpKind::WeightRead, "embedding_lookup",
                         cyclesFor(bytes, memBytesPerCycle_), static_cast<std::int64_t>(p_.memFillCycles), {},
                         bytes);
        if (o_.precision.weights != o_.precision.activations)
            row = vector(0, "embedding_dequantize", elements, 1.0, {row});
        const auto targets = stageChips(0);
        const auto arrived = exchange({0}, {row}, targets, elements * actBytes_, "embedding_to_stage0");
        std::vector<std::vector<int>> ready(targets.size());
        for (std::size_t i = 0; i < targets.size(); ++i)
            ready[i].push_back(arrived[i] >= 0 ? arrived[i] : row);
        return ready;
    }

    // Every sender sends `bytes` to every receiver other than itself. A sender's messages on one link
    // queue back to back behind the same input, so they are one op per (sender, link) carrying all of
    // them: at most senders x links ops, where one op per pair grows with the square of a wide
    // tensor-parallel group. Returns, per receiver, the incoming op that arrives last (-1: none); it alone
    // decides when the receiver can go on, so the earlier arrivals are not listed as dependencies.
    std::vector<int> exchange(const std::vector<int>& senders, const std::vector<int>& senderInputs,
                              const std::vector<int>& receivers, double bytes, const char* label) {
        // Streams move whole vectors (one byte per lane), so a message is a whole number of them.
        bytes = std::ceil(bytes / p_.lanes) * p_.lanes;
        const auto messageCycles = cyclesFor(bytes, linkBytesPerCycle_);
        const auto links = static_cast<std::size_t>(p_.c2cLinks);
        std::vector<int> arrival(receivers.size(), -1);
        std::vector<int> count(links), farthest(links), firstPeer(links), linkOp(links);
        for (std::size_t i = 0; i < senders.size(); ++i) {
            const int from = senders[i];
            std::fill(count.begin(), count.end(), 0);
            std::fill(farthest.begin(), farthest.end(), 0);
            for (int to : receivers) {
                if (to == from) continue;
                const auto link = static_cast<std::size_t>(linkFor(from, to));
                if (count[link]++ == 0) firstPeer[link] = to;
                farthest[link] = std::max(farthest[link], hops(from, to));
            }
            for (std::size_t l = 0; l < links; ++l) {
                if (count[l] == 0) continue;
                const auto latency = static_cast<std::int64_t>(p_.c2cHopLatencyCycles) * farthest[l];
                linkOp[l] = b_.add(from, UnitKind::C2c, static_cast<int>(l), OpKind::Send, label,
                                   messageCycles * count[l], latency, {senderInputs[i]}, bytes * count[l],
                                   firstPeer[l], count[l]);
            }
            for (std::size_t r = 0; r < receivers.size(); ++r) {
                if (receivers[r] == from) continue;
                const int op = linkOp[static_cast<std::size_t>(linkFor(from, receivers[r]))];
                if (arrival[r] < 0 || b_.op(op).readyAt > b_.op(arrival[r]).readyAt) arrival[r] = op;
            }
        }
        return arrival;
    }

    // All-reduce of a row-parallel output over a group: reduce-scatter, add, then either all-gather
    // (next layer on the same chips) or send the reduced slices straight to the next stage.
    std::vector<std::vector<int>> allReduce(const std::vector<int>& group, const std::vector<int>& partial,
                                            const char* label, const std::vector<int>* nextGroup) {
        const int t = static_cast<int>(group.size());
        const double rows = shape_.rows;
        const double sliceElements = std::ceil(rows * m_.hidden / t);
        const auto incoming = exchange(group, partial, group, sliceElements * actBytes_, label);
        std::vector<int> reduced(group.size());
        for (std::size_t j = 0; j < group.size(); ++j) {
            std::vector<int> deps{partial[j]};
            if (incoming[j] >= 0) deps.push_back(incoming[j]);
            // Sum the t partial slices and add the residual.
            reduced[j] = vector(group[j], label, sliceElements, double(t), deps);
        }
        const std::vector<int>& receivers = nextGroup != nullptr ? *nextGroup : group;
        const auto arrived = exchange(group, reduced, receivers, sliceElements * actBytes_,
                                      nextGroup != nullptr ? "to_next_stage" : label);
        std::vector<std::vector<int>> ready(receivers.size());
        for (std::size_t r = 0; r < receivers.size(); ++r) {
            // Groups are runs of consecutive chips: a receiver inside the group keeps its own slice.
            const int own = receivers[r] - group.front();
            if (own >= 0 && own < t && group[static_cast<std::size_t>(own)] == receivers[r])
                ready[r].push_back(reduced[static_cast<std::size_t>(own)]);
            if (arrived[r] >= 0) ready[r].push_back(arrived[r]);
        }
        return ready;
    }

    std::vector<std::vector<int>> transformerLayer(int layer, const std::vector<std::vector<int>>& input) {
        b_.layer = layer;
        const int stage = part_.stageOfLayer(layer);
        const auto group = stageChips(stage);
        const int t = static_cast<int>(group.size());
        const bool lastInStage = layer + 1 == part_.stageFirstLayer[stage] + part_.stageLayerCount[stage];
        const double rows = shape_.rows;
        const double headsLocal = std::ceil(double(m_.heads) / t);
        const double kvLocal = std::ceil(double(m_.kvHeads) / t);
        const double qDim = headsLocal * m_.headDim, kvDim = kvLocal * m_.headDim;
        const double attnHeads =
            t > static_cast<int>(m_.kvHeads) ? double(m_.heads / m_.kvHeads) : headsLocal;
        const double attnQDim = attnHeads * m_.headDim;
        const double ffnLocal = std::ceil(double(m_.ffn) / t) * m_.expertsPerToken;
        // More ranks than KV heads: each rank attends over its slice of the positions (the partial softmax
        // combine across ranks is not modelled).
        const double ctx = t > static_cast<int>(m_.kvHeads)
                               ? std::ceil(double(shape_.context) * m_.kvHeads / t)
                               : double(shape_.context);
        const double kvRows = shape_.rowsShareKv ? 1.0 : rows; // separate caches per user when decoding
        const auto wf = o_.precision.weights, kvf = o_.precision.kvCache;

        std::vector<int> partial(group.size());
        for (int r = 0; r < t; ++r) {
            const int chip = group[r];
            const auto& in = input[static_cast<std::size_t>(r)];
            const int n1 = norm(chip, "attn_norm", in);
            const int qkv = matmul(chip, "attn_qkv", m_.hidden * (qDim + 2 * kvDim), wf,
                                   rows * m_.hidden * (qDim + 2 * kvDim), {n1});
            const int rope = vector(chip, "rope", rows * (qDim + kvDim), 4.0, {qkv});
            const double kvWriteBytes = rows * 2 * kvDim * bytesPerElement(kvf);
            b_.add(chip, UnitKind::Mem, 0, OpKind::KvWrite, "kv_write",
                   cyclesFor(kvWriteBytes, memBytesPerCycle_), static_cast<std::int64_t>(p_.memFillCycles),
                   {rope}, kvWriteBytes);
            const int scores =
                matmul(chip, "attn_scores", kvRows * ctx * kvDim, kvf, rows * ctx * attnQDim, {rope});
            const int smax = vector(chip, "softmax", rows * attnHeads * ctx, 3.0, {scores});
            const int sred =
                laneReduce(chip, "softmax", rows * attnHeads * std::ceil(ctx / p_.lanes), {smax});
            const int snorm = vector(chip, "softmax", rows * attnHeads * ctx, 1.0, {sred});
            const int pv =
                matmul(chip, "attn_values", kvRows * ctx * kvDim, kvf, rows * ctx * attnQDim, {snorm});
            partial[r] = matmul(chip, "attn_output", qDim * m_.hidden, wf, rows * qDim * m_.hidden, {pv});
        }
        auto mid = allReduce(group, partial, "attn_allreduce", nullptr);
        for (int r = 0; r < t; ++r) {
            const int chip = group[r];
            const int n2 = norm(chip, "ffn_norm", mid[static_cast<std::size_t>(r)]);
            int gateInput = n2;
            if (m_.experts > 1) {
                const int router = matmul(chip, "moe_router", double(m_.hidden) * m_.experts, wf,
                                          rows * m_.hidden * m_.experts, {n2});
                const int topk = vector(chip, "moe_topk", rows * m_.experts, 4.0, {router});
                gateInput = laneReduce(chip, "moe_topk", rows, {topk});
            }
            const int up = matmul(chip, "ffn_gate_up", 2.0 * m_.hidden * ffnLocal, wf,
                                  rows * 2.0 * m_.hidden * ffnLocal, {gateInput});
            const int act = vector(chip, "ffn_silu_mul", rows * ffnLocal, 5.0, {up});
            partial[r] =
                matmul(chip, "ffn_down", ffnLocal * m_.hidden, wf, rows * ffnLocal * m_.hidden, {act});
        }
        if (!lastInStage) return allReduce(group, partial, "ffn_allreduce", nullptr);
        const std::vector<int> next = stage + 1 < part_.stages ? stageChips(stage + 1) : headChips();
        return allReduce(group, partial, "ffn_allreduce", &next);
    }

    // Final norm and output projection split by vocabulary over the head chips, then a distributed
    // argmax gathered on chip 0 (where the next token's embedding lookup happens).
    void outputHead(const std::vector<std::vector<int>>& input) {
        b_.layer = static_cast<int>(m_.layers);
        const auto heads = headChips();
        const double rows = shape_.rows;
        const double vocabLocal = std::ceil(double(m_.vocab) / part_.headChips);
        std::vector<int> finals;
        for (std::size_t h = 0; h < heads.size(); ++h) {
            const int chip = heads[h];
            const int n = norm(chip, "output_norm", input[h]);
            const int logits = matmul(chip, "output_projection", m_.hidden * vocabLocal, o_.precision.weights,
                                      rows * m_.hidden * vocabLocal, {n});
            const int best = vector(chip, "argmax", rows * vocabLocal, 2.0, {logits});
            const int reduced = laneReduce(chip, "argmax", rows * std::ceil(vocabLocal / p_.lanes), {best});
            finals.push_back(chip == 0 ? reduced : send(chip, 0, rows * 8.0, "argmax_gather", {reduced}));
        }
        vector(0, "sample", rows * part_.headChips, 2.0, finals);
    }

    // --- per-layer critical path -------------------------------------------------------------------
    void attributeLayers(Schedule& s) const {
        const int L = static_cast<int>(m_.layers);
        std::vector<std::int64_t> layerEnd(static_cast<std::size_t>(L + 2), 0);
        std::vector<int> lastOp(static_cast<std::size_t>(L + 2), -1);
        for (std::size_t i = 0; i < s.ops.size(); ++i) {
            const auto& op = s.ops[i];
            const auto slot = static_cast<std::size_t>(op.layer + 1);
            if (op.readyAt >= layerEnd[slot]) {
                layerEnd[slot] = op.readyAt;
                lastOp[slot] = static_cast<int>(i);
            }
        }
        std::int64_t start = 0;
        for (int layer = -1; layer <= L; ++layer) {
            const auto slot = static_cast<std::size_t>(layer + 1);
            LayerTiming t;
            t.layer = layer;
            t.stage = layer < 0 || layer >= L ? -1 : part_.stageOfLayer(layer);
            t.startCycle = start;
            t.endCycle = std::max(start, layerEnd[slot]);
            t.timeUs = s.cyclesToUs(t.endCycle - t.startCycle);
            std::array<std::int64_t, kBoundKinds> cycles{};
            int cur = lastOp[slot];
            std::int64_t horizon = t.endCycle;
            while (cur >= 0 && horizon > start) {
                const auto& op = s.ops[static_cast<std::size_t>(cur)];
                const auto& head = op.groupHead >= 0 ? s.ops[static_cast<std::size_t>(op.groupHead)] : op;
                auto take = [&](std::int64_t from, std::int64_t to, BoundKind kind) {
                    from = std::max(from, start);
                    to = std::min(to, horizon);
                    if (to > from) cycles[static_cast<std::size_t>(kind)] += to - from;
                };
                const BoundKind latencyKind =
                    op.unit == UnitKind::C2c ? BoundKind::C2c : BoundKind::Dependency;
                take(op.end, op.readyAt, latencyKind);
                take(op.start, op.end, op.binding);
                take(head.start, op.start, BoundKind::Dependency); // fill of the streamed group
                horizon = std::min(horizon, head.start);
                cur = head.criticalPred;
                if (cur >= 0) {
                    const auto& pred = s.ops[static_cast<std::size_t>(cur)];
                    // A unit that was free but waited for nothing would leave a gap: count it as chain.
                    take(pred.readyAt, horizon, BoundKind::Dependency);
                    horizon = std::min(horizon, pred.readyAt);
                } else {
                    take(start, horizon, BoundKind::Dependency);
                }
            }
            std::size_t best = 0;
            for (std::size_t k = 0; k < cycles.size(); ++k) {
                t.breakdownUs[k] = s.cyclesToUs(cycles[k]);
                if (cycles[k] > cycles[best]) best = k;
            }
            t.bound = static_cast<BoundKind>(best);
            s.layers.push_back(t);
            start = t.endCycle;
        }
    }

    const ModelArchitecture& m_;
    const LpuParameters& p_;
    const DeploymentOptions& o_;
    const Partition& part_;
    PassShape shape_;
    const std::atomic<bool>* cancel_ = nullptr;
    Builder b_;
    NumberFormat mode_ = NumberFormat::Fp16;
    double macsPerCycle_ = 1, memBytesPerCycle_ = 1, streamBytesPerCycle_ = 1, linkBytesPerCycle_ = 1,
           actBytes_ = 2;
};

} // namespace

Schedule compileForwardPass(const ModelArchitecture& model, const HardwareDescription& hw,
                            const DeploymentOptions& options, const Partition& partition,
                            const PassShape& shape, const std::atomic<bool>* cancel) {
    if (hw.kind != DeviceKind::Lpu)
        throw std::invalid_argument("compileForwardPass needs an LPU description");
    if (shape.rows < 1 || shape.context < 1)
        throw std::invalid_argument("a pass needs at least one row and one KV position");
    return PassCompiler(model, hw, options, partition, shape, cancel).run();
}

std::int64_t longestStageCycles(const Schedule& schedule, const Partition& partition) {
    // A stage is busy from the arrival of its input to the departure of its output; the embedding and
    // output head share the head chips.
    std::vector<std::int64_t> busy(static_cast<std::size_t>(partition.stages + 1), 0);
    for (const auto& t : schedule.layers) {
        const auto slot =
            t.stage < 0 ? static_cast<std::size_t>(partition.stages) : static_cast<std::size_t>(t.stage);
        busy[slot] += t.endCycle - t.startCycle;
    }
    return std::max<std::int64_t>(1, *std::max_element(busy.begin(), busy.end()));
}

} // namespace wb::sim
